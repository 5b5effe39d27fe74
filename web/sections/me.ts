/** The signed-in user, from the API's own protected route, `GET /api/me`, with the Bearer token. */
import { el, section, show } from "../dom.js"
import type { Section } from "./Section.js"

export const me: Section = (page) => {
  const output = el("pre", { id: "me-output" }, "Not loaded")
  const load = async () => {
    const { status, body } = await page.api("/api/me")
    show(output, { status, body })
  }
  const refresh = el("button", { id: "load-me", type: "button" }, "GET /api/me")
  refresh.addEventListener("click", load)
  page.on("session", load)
  return section("me", "Signed-in user", el("p", {}, refresh), output)
}
