/** A custom action: the analytics summary, cached by the worker for 5 minutes. */
import { el, section, show } from "../dom.js"
import type { Section } from "./Section.js"

export const analytics: Section = (page) => {
  const output = el("pre", { id: "analytics-output" }, "Not called")
  const call = el("button", { id: "call-analytics", type: "button" }, "GET /api/actions/analytics-summary?days=7")
  call.addEventListener("click", async () => {
    const { status, body } = await page.api("/api/actions/analytics-summary?days=7")
    show(output, { status, body })
  })
  return section("analytics", "Analytics action", el("p", {}, call), output)
}
