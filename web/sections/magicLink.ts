/**
 * Magic links: ask the worker to mail one that opens this page (`metadata: { link: "page" }`), with
 * the token in the URL's fragment. Opened from the mail, the page takes the token out of its URL at
 * once and exchanges it with a fetch of the verify route, whose answer carries `set-auth-token`: a
 * browser following Better Auth's own verify link would be signed in by a cookie on the worker's
 * origin instead, which a Bearer page never sees.
 */
import { el, section } from "../dom.js"
import type { Section } from "./Section.js"

/** The fragment the worker's page links carry (`magicLinkFragment` in the worker). */
const fragment = "magic-link-token"

/** Takes the token out of the address bar, so it is neither kept in history nor shared on. */
const takeToken = (): string | undefined => {
  const token = new URLSearchParams(location.hash.slice(1)).get(fragment)
  if (token === null) return undefined
  history.replaceState(history.state, "", location.pathname + location.search)
  return token
}

const emailOf = (data: unknown): string | undefined => {
  if (typeof data !== "object" || data === null || !("user" in data)) return undefined
  const user = data.user
  return typeof user === "object" && user !== null && "email" in user && typeof user.email === "string" ? user.email : undefined
}

export const magicLink: Section = (page) => {
  const email = el("input", { id: "magic-link-email", type: "email", autocomplete: "email", placeholder: "grace@example.com" })
  const request = el("button", { id: "request-magic-link", type: "button" }, "Email me a sign-in link")
  const status = el("output", { id: "magic-link-status" }, "No link requested")

  request.addEventListener("click", async () => {
    status.textContent = "…"
    try {
      const { error } = await page.auth.signIn.magicLink({
        email: email.value,
        callbackURL: location.origin + location.pathname,
        metadata: { link: "page" }
      })
      status.textContent = error
        ? `Failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`.trim()
        : `Link sent to ${email.value}`
    } catch (error) {
      status.textContent = `Failed: ${String(error)}`
    }
  })

  const token = takeToken()
  if (token !== undefined) {
    status.textContent = "Signing in with the link…"
    void page.auth.magicLink.verify({ query: { token } }).then(
      ({ data, error }) => {
        // A used, expired or unknown token is answered with a redirect to an error page, not JSON.
        const signedIn = error === null ? emailOf(data) : undefined
        status.textContent = signedIn !== undefined
          ? `Signed in as ${signedIn}`
          : `Failed: the link is used, expired or unknown${error ? ` (${error.status})` : ""}`
        page.sessionChanged()
      },
      (error: unknown) => {
        status.textContent = `Failed: the link is used, expired or unknown (${String(error)})`
      }
    )
  }

  const form = el("form", {}, el("label", {}, "Email ", email), el("p", {}, request))
  form.addEventListener("submit", (event) => event.preventDefault())
  return section("magic-link", "Magic link", form, el("p", {}, status))
}
