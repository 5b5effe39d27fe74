/**
 * Change the signed-in user's password (`POST /api/auth/change-password`, current and new). The
 * other sessions stay signed in by that alone, so once it succeeds the section offers to end them
 * (`endOthers`): whoever knew the old password may hold one of them.
 */
import { el, section } from "../dom.js"
import { describeError } from "../outcome.js"
import type { Outcome } from "../outcome.js"
import { endOthersOffer } from "./endOthers.js"
import type { Section } from "./Section.js"

export const changePassword: Section = (page) => {
  const hint = el("p", { id: "change-password-hint" }, "Sign in to change your password.")
  const current = el("input", { id: "current-password", type: "password", autocomplete: "current-password" })
  const next = el("input", { id: "new-password", type: "password", autocomplete: "new-password", placeholder: "at least 8 characters" })
  const change = el("button", { id: "change-password-submit", type: "submit" }, "Change password")
  const status = el("output", { id: "change-password-status" })
  const offer = endOthersOffer(page, "change-password", (message) => (status.textContent = message), "Password changed; every other session ended")

  const form = el("form", {},
    el("label", {}, "Current password ", current),
    el("label", {}, "New password ", next),
    el("p", {}, change))

  const run = async (action: () => Promise<Outcome>, done: string): Promise<boolean> => {
    status.textContent = "…"
    try {
      const { error } = await action()
      status.textContent = error ? describeError(error) : done
      return error === null
    } catch (error) {
      status.textContent = `Failed: ${String(error)}`
      return false
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    offer.hide()
    const changed = await run(
      () => page.auth.changePassword({ currentPassword: current.value, newPassword: next.value }),
      "Password changed"
    )
    if (changed) {
      current.value = ""
      next.value = ""
      offer.show()
    }
  })

  const refresh = () => {
    const signedIn = page.token.get() !== null
    hint.hidden = signedIn
    form.hidden = !signedIn
    offer.hide()
    status.textContent = ""
  }
  page.on("session", refresh)
  refresh()
  return section("change-password", "Change password", hint, form, offer.element, el("p", {}, status))
}
