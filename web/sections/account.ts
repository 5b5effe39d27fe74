/** Sign up, sign in and sign out with Better Auth's client (email and password). */
import { el, section } from "../dom.js"
import { describeError } from "../outcome.js"
import type { Outcome } from "../outcome.js"
import type { Section } from "./Section.js"

/** Whether a sign-up's answer carries a session token (`{ token, user }`), i.e. it signed the user in. */
const carriesToken = (data: unknown): boolean =>
  typeof data === "object" && data !== null && "token" in data && typeof data.token === "string" && data.token !== ""

export const account: Section = (page) => {
  const email = el("input", { id: "email", type: "email", autocomplete: "username", placeholder: "ada@example.com" })
  const password = el("input", { id: "password", type: "password", autocomplete: "current-password", placeholder: "at least 8 characters" })
  const name = el("input", { id: "name", type: "text", autocomplete: "name", placeholder: "Ada (sign-up only)" })
  const status = el("output", { id: "account-status" }, page.token.get() ? "A token is stored" : "Signed out")
  const button = (id: string, label: string) => el("button", { id, type: "button" }, label)
  const signUp = button("sign-up", "Sign up")
  const signIn = button("sign-in", "Sign in")
  const signOut = button("sign-out", "Sign out")

  const run = async (action: () => Promise<Outcome>, done: string) => {
    status.textContent = "…"
    try {
      const { error } = await action()
      status.textContent = error ? describeError(error) : done
    } catch (error) {
      // No answer the page may read: the network, or a browser refusing it (CORS).
      status.textContent = `Failed: ${String(error)}`
    }
    page.sessionChanged()
  }

  // A sign-up may answer `{ token: null, user }` and sign nobody in, for a new address and for one
  // that already has an account alike (so the answer does not tell them apart): then this signs in
  // with the same email and password right after, and the outcome is the sign-in's.
  signUp.addEventListener("click", () =>
    run(async () => {
      const credentials = { email: email.value, password: password.value }
      const outcome = await page.auth.signUp.email({ ...credentials, name: name.value || credentials.email })
      return outcome.error !== null || carriesToken(outcome.data) ? outcome : page.auth.signIn.email(credentials)
    }, `Signed in as ${email.value}`))
  signIn.addEventListener("click", () =>
    run(() => page.auth.signIn.email({ email: email.value, password: password.value }), `Signed in as ${email.value}`))
  signOut.addEventListener("click", () =>
    run(async () => {
      const outcome = await page.auth.signOut()
      // Signed out here even if the worker no longer knew the session.
      page.token.clear()
      return outcome
    }, "Signed out"))

  // Signed out elsewhere on the page (its session ended from the Sessions section): say so here too.
  page.on("session", () => {
    if (page.token.get() === null && !(status.textContent ?? "").startsWith("Failed")) status.textContent = "Signed out"
  })

  const form = el("form", {},
    el("label", {}, "Email ", email),
    el("label", {}, "Password ", password),
    el("label", {}, "Name ", name),
    el("p", {}, signUp, " ", signIn, " ", signOut))
  form.addEventListener("submit", (event) => event.preventDefault())
  return section("account", "Account", form, el("p", {}, status))
}
