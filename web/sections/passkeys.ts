/**
 * The signed-in user's passkeys (`GET /api/auth/passkey/list-user-passkeys`), each with a button that
 * deletes it (`POST /api/auth/passkey/delete-passkey`): the worker then refuses that passkey, though
 * the authenticator keeps its credential. Reloaded when the session changes and when a passkey is
 * added (the Passkey section says so with `credentialsChanged`). Neither call is a ceremony, so
 * both go through the Bearer-only client and work from any trusted origin. Once one is deleted (a way
 * of signing in removed), the section offers to end the other sessions (`endOthers`).
 */
import { el, section } from "../dom.js"
import { describeError, when } from "../outcome.js"
import type { Outcome } from "../outcome.js"
import { endOthersOffer } from "./endOthers.js"
import type { Section } from "./Section.js"

interface PasskeyRow {
  readonly id: string
  readonly name: string | null
  readonly createdAt: unknown
  readonly deviceType: string | null
}

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null)

const rowsOf = (data: unknown): ReadonlyArray<PasskeyRow> =>
  Array.isArray(data)
    ? data.flatMap((item: unknown) => {
      const id = field(item, "id")
      return typeof id === "string"
        ? [{ id, name: text(field(item, "name")), createdAt: field(item, "createdAt"), deviceType: text(field(item, "deviceType")) }]
        : []
    })
    : []

export const passkeys: Section = (page) => {
  const hint = el("p", { id: "passkeys-hint" }, "Sign in to see your passkeys.")
  const summary = el("output", { id: "passkeys-summary" }, "Not loaded")
  const list = el("ul", { id: "passkeys-list" })
  const status = el("output", { id: "passkeys-status" })
  const reload = el("button", { id: "load-passkeys", type: "button" }, "Refresh")
  const signedIn = el("div", { id: "passkeys-signed-in" }, el("p", {}, summary, " ", reload), list)
  const offer = endOthersOffer(page, "passkeys", (message) => (status.textContent = message), "Passkey deleted; every other session ended")

  // Only the newest load draws the list: an older answer arriving late is dropped.
  let loads = 0
  const load = async () => {
    const load = ++loads
    const signedInNow = page.token.get() !== null
    hint.hidden = signedInNow
    signedIn.hidden = !signedInNow
    if (!signedInNow) {
      list.replaceChildren()
      summary.textContent = "Not loaded"
      return
    }
    summary.textContent = "…"
    let outcome: Outcome
    try {
      outcome = await page.auth.passkey.listUserPasskeys()
    } catch (error) {
      outcome = { data: null, error: { status: 0, message: String(error) } }
    }
    if (load !== loads) return
    if (outcome.error) {
      list.replaceChildren()
      summary.textContent = describeError(outcome.error)
      return
    }
    const rows = rowsOf(outcome.data)
    list.replaceChildren(...rows.map(item))
    summary.textContent = rows.length === 0 ? "No passkeys" : `${rows.length} passkey${rows.length === 1 ? "" : "s"}`
  }

  const item = (row: PasskeyRow) => {
    const remove = el("button", { id: `delete-passkey-${row.id}`, type: "button", class: "delete-passkey" }, "Delete")
    remove.addEventListener("click", () => deletePasskey(row.id))
    return el("li", { id: `passkey-${row.id}` },
      el("span", { class: "passkey-name" }, row.name ?? "Unnamed passkey"),
      ` · added ${when(row.createdAt)}`,
      row.deviceType === null ? "" : ` · ${row.deviceType === "multiDevice" ? "synced" : "this device only"}`,
      " ",
      remove)
  }

  const deletePasskey = async (id: string) => {
    offer.hide()
    status.textContent = "…"
    try {
      const { error } = await page.auth.passkey.deletePasskey({ id })
      status.textContent = error ? describeError(error) : "Passkey deleted"
      if (!error) offer.show()
    } catch (error) {
      status.textContent = `Failed: ${String(error)}`
    }
    page.credentialsChanged()
  }

  page.on("session", () => (status.textContent = ""))
  reload.addEventListener("click", load)
  page.on("session", load)
  page.on("credentials", load)
  void load()
  return section("passkeys", "Your passkeys", hint, signedIn, offer.element, el("p", {}, status))
}
