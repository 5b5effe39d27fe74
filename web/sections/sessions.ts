/**
 * The signed-in user's active sessions (Better Auth's `list-sessions`): when each started and from
 * which browser, this page's own marked, each with a button that ends it (`revoke-session`), and
 * one that ends every other (`revoke-other-sessions`). Ending this page's own signs the page out.
 * The list's session tokens are kept out of the page's markup: a button holds its own.
 */
import { el, section } from "../dom.js"
import { describeError, sessionTokenOf, when } from "../outcome.js"
import type { Outcome } from "../outcome.js"
import type { Section } from "./Section.js"

interface SessionRow {
  readonly id: string
  readonly token: string
  readonly createdAt: unknown
  readonly userAgent: string | null
}

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined

const rowsOf = (data: unknown): ReadonlyArray<SessionRow> =>
  Array.isArray(data)
    ? data.flatMap((item: unknown) => {
      const id = field(item, "id")
      const token = field(item, "token")
      const userAgent = field(item, "userAgent")
      return typeof id === "string" && typeof token === "string"
        ? [{ id, token, createdAt: field(item, "createdAt"), userAgent: typeof userAgent === "string" && userAgent !== "" ? userAgent : null }]
        : []
    })
    : []

const plural = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`

export const sessions: Section = (page) => {
  const hint = el("p", { id: "sessions-hint" }, "Sign in to see your sessions.")
  const summary = el("output", { id: "sessions-summary" }, "Not loaded")
  const list = el("ul", { id: "sessions-list" })
  const endOthers = el("button", { id: "end-other-sessions", type: "button" }, "End all other sessions")
  const status = el("output", { id: "sessions-status" })
  const reload = el("button", { id: "load-sessions", type: "button" }, "Refresh")
  const signedIn = el("div", { id: "sessions-signed-in" }, el("p", {}, summary, " ", reload), list, el("p", {}, endOthers))

  // Only the newest load draws the list: an older answer arriving late is dropped.
  let loads = 0
  const load = async () => {
    const load = ++loads
    const bearer = page.token.get()
    hint.hidden = bearer !== null
    signedIn.hidden = bearer === null
    if (bearer === null) {
      list.replaceChildren()
      summary.textContent = "Not loaded"
      return
    }
    summary.textContent = "…"
    let outcome: Outcome
    try {
      outcome = await page.auth.listSessions()
    } catch (error) {
      outcome = { data: null, error: { status: 0, message: String(error) } }
    }
    if (load !== loads) return
    if (outcome.error) {
      list.replaceChildren()
      endOthers.disabled = true
      summary.textContent = describeError(outcome.error)
      return
    }
    const current = sessionTokenOf(bearer)
    const rows = rowsOf(outcome.data)
    list.replaceChildren(...rows.map((row) => item(row, row.token === current)))
    endOthers.disabled = rows.every((row) => row.token === current)
    summary.textContent = plural(rows.length, "active session")
  }

  const item = (row: SessionRow, isCurrent: boolean) => {
    const end = el("button", { id: `end-session-${row.id}`, type: "button", class: "end-session" }, isCurrent ? "End (signs this page out)" : "End")
    end.addEventListener("click", () => endSession(row.token, isCurrent))
    return el("li", { id: `session-${row.id}`, "data-current": String(isCurrent) },
      isCurrent ? el("strong", {}, "This session") : "Another session",
      ` · started ${when(row.createdAt)} · `,
      el("span", { class: "user-agent" }, row.userAgent ?? "unknown browser"),
      " ",
      end)
  }

  const act = async (action: () => Promise<Outcome>, done: string): Promise<boolean> => {
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

  const endSession = async (token: string, isCurrent: boolean) => {
    const ended = await act(() => page.auth.revokeSession({ token }), "Session ended")
    if (ended && isCurrent) {
      page.token.clear()
      page.sessionChanged()
      status.textContent = "This session ended: signed out"
    } else {
      page.credentialsChanged()
    }
  }

  endOthers.addEventListener("click", async () => {
    await act(() => page.auth.revokeOtherSessions(), "Every other session ended")
    page.credentialsChanged()
  })

  // What was done here is about the session before; a new one starts with nothing said.
  page.on("session", () => (status.textContent = ""))
  reload.addEventListener("click", load)
  page.on("session", load)
  page.on("credentials", load)
  void load()
  return section("sessions", "Sessions", hint, signedIn, el("p", {}, status))
}
