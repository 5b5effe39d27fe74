/**
 * Passkeys with Better Auth's passkey client: add one while signed in, then sign in with it alone.
 * The browser runs the WebAuthn ceremony (`navigator.credentials`); the worker checks it against its
 * relying party id and origins, so this works on a page the worker's passkey settings name. Once
 * one is added (a new way of signing in), the section offers to end the other sessions (`endOthers`).
 */
import { el, section } from "../dom.js"
import { describeError } from "../outcome.js"
import type { Outcome } from "../outcome.js"
import { endOthersOffer } from "./endOthers.js"
import type { Section } from "./Section.js"

const emailOf = (data: unknown): string | undefined => {
  if (typeof data !== "object" || data === null || !("user" in data)) return undefined
  const user = data.user
  return typeof user === "object" && user !== null && "email" in user && typeof user.email === "string" ? user.email : undefined
}

export const passkey: Section = (page) => {
  const status = el("output", { id: "passkey-status" }, "No passkey used yet")
  const add = el("button", { id: "add-passkey", type: "button" }, "Add a passkey")
  const signIn = el("button", { id: "sign-in-passkey", type: "button" }, "Sign in with a passkey")
  const offer = endOthersOffer(page, "passkey", (message) => (status.textContent = message), "Passkey added; every other session ended")

  /** Runs `action`, shows its outcome and says what changed; whether it succeeded. */
  const run = async (action: () => Promise<Outcome>, done: (data: unknown) => string, changed: () => void) => {
    status.textContent = "…"
    let succeeded = false
    try {
      const { data, error } = await action()
      status.textContent = error ? describeError(error) : done(data)
      succeeded = error === null
    } catch (error) {
      status.textContent = `Failed: ${String(error)}`
    }
    changed()
    return succeeded
  }

  // The user's passkeys changed: the list of them (the Your passkeys section) is read again.
  add.addEventListener("click", async () => {
    offer.hide()
    const added = await run(() => page.passkeys.passkey.addPasskey({ name: navigator.userAgent.slice(0, 64) }), () => "Passkey added", page.credentialsChanged)
    if (added) offer.show()
  })
  // The answer carries `set-auth-token`, which the client's `onSuccess` stores like any sign-in.
  signIn.addEventListener("click", () =>
    run(() => page.passkeys.signIn.passkey(), (data) => `Signed in as ${emailOf(data) ?? "?"}`, page.sessionChanged))

  return section("passkey", "Passkey", el("p", {}, add, " ", signIn), offer.element, el("p", {}, status))
}
