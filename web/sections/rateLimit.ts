/**
 * The rate-limit state the worker reported on the last auth call. A page on another origin sees
 * these headers because the worker's CORS exposes them.
 */
import { el, section, show } from "../dom.js"
import type { Section } from "./Section.js"

/**
 * The reads the page makes on its own after every sign-in (the Sessions and Passkeys lists): left
 * out, or they would always hide the call the user just made.
 */
const ownReads = ["/list-sessions", "/passkey/list-user-passkeys"]

export const rateLimit: Section = (page) => {
  const output = el("pre", { id: "ratelimit-output" }, "No auth call yet")
  page.on("auth-response", (response) => {
    const path = new URL(response.url).pathname
    if (ownReads.some((read) => path.endsWith(read))) return
    show(output, {
      call: path,
      status: response.status,
      "ratelimit-policy": response.headers.get("ratelimit-policy"),
      ratelimit: response.headers.get("ratelimit"),
      "retry-after": response.headers.get("retry-after")
    })
  })
  return section("rate-limit", "Rate limit of the last auth call", output)
}
