/**
 * The rate-limit state the worker reported on the last auth call. A page on another origin sees
 * these headers because the worker's CORS exposes them.
 */
import { el, section, show } from "../dom.js"
import type { Section } from "./Section.js"

export const rateLimit: Section = (page) => {
  const output = el("pre", { id: "ratelimit-output" }, "No auth call yet")
  page.on("auth-response", (response) => {
    show(output, {
      call: new URL(response.url).pathname,
      status: response.status,
      "ratelimit-policy": response.headers.get("ratelimit-policy"),
      ratelimit: response.headers.get("ratelimit"),
      "retry-after": response.headers.get("retry-after")
    })
  })
  return section("rate-limit", "Rate limit of the last auth call", output)
}
