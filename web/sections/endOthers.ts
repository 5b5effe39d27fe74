/**
 * The offer a section makes once the user has changed a way of signing in (their password, a
 * passkey added or deleted): every other session is still signed in by that alone, and whoever
 * held the old factor may hold one of them, so the section offers to end them
 * (`POST /api/auth/revoke-other-sessions`, OWASP ASVS 5.0 7.4.3). Hidden until `show`, and again
 * once taken or when the session changes.
 */
import { el } from "../dom.js"
import { describeError } from "../outcome.js"
import type { Page } from "../page.js"

export interface EndOthersOffer {
  /** The offer's paragraph (`#<prefix>-offer`, its button `#<prefix>-end-others`). */
  readonly element: HTMLElement
  readonly show: () => void
  readonly hide: () => void
}

/**
 * `report` shows the section's status; `ended` is what it says once the other sessions have ended.
 */
export const endOthersOffer = (page: Page, prefix: string, report: (message: string) => void, ended: string): EndOthersOffer => {
  const button = el("button", { id: `${prefix}-end-others`, type: "button" }, "End all other sessions")
  const element = el("p", { id: `${prefix}-offer` }, "Your other sessions are still signed in. ", button)
  element.hidden = true
  const hide = () => (element.hidden = true)

  button.addEventListener("click", async () => {
    report("…")
    try {
      const { error } = await page.auth.revokeOtherSessions()
      report(error ? describeError(error) : ended)
      if (!error) hide()
    } catch (error) {
      report(`Failed: ${String(error)}`)
    }
    page.credentialsChanged()
  })
  page.on("session", hide)

  return { element, show: () => (element.hidden = false), hide }
}
