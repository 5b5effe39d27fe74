/**
 * Passkeys with Better Auth's passkey client: add one while signed in, then sign in with it alone.
 * The browser runs the WebAuthn ceremony (`navigator.credentials`); the worker checks it against its
 * relying party id and origins, so this works on a page the worker's passkey settings name.
 */
import { el, section } from "../dom.js"
import { describeError } from "../outcome.js"
import type { Outcome } from "../outcome.js"
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

  const run = async (action: () => Promise<Outcome>, done: (data: unknown) => string, changed: () => void) => {
    status.textContent = "…"
    try {
      const { data, error } = await action()
      status.textContent = error ? describeError(error) : done(data)
    } catch (error) {
      status.textContent = `Failed: ${String(error)}`
    }
    changed()
  }

  // The user's passkeys changed: the list of them (the Your passkeys section) is read again.
  add.addEventListener("click", () =>
    run(() => page.passkeys.passkey.addPasskey({ name: navigator.userAgent.slice(0, 64) }), () => "Passkey added", page.credentialsChanged))
  // The answer carries `set-auth-token`, which the client's `onSuccess` stores like any sign-in.
  signIn.addEventListener("click", () =>
    run(() => page.passkeys.signIn.passkey(), (data) => `Signed in as ${emailOf(data) ?? "?"}`, page.sessionChanged))

  return section("passkey", "Passkey", el("p", {}, add, " ", signIn), el("p", {}, status))
}
