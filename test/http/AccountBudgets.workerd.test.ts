/**
 * Budgets follow the account Better Auth acts on, count only attempts, share one mailbox's
 * spellings, and bound the password hashes one client can cause. Every request here comes from a
 * fresh client address unless it says otherwise, so only the budgets under test can refuse it.
 */
import { describe, expect, it } from "vitest"
import { awayFromWindowEdge, call, freshIp, passwordAttemptsLeft, postJson, signUp } from "./helpers.js"
import { mailTo } from "./outbox.js"

const password = "correct-horse-battery"

/** A signed-in user: the signed token, the session cookie and what is left of the account's password budget. */
const signedIn = async () => {
  await awayFromWindowEdge()
  const { email, left, signed } = await signUp("budget")
  return { email, token: signed, cookie: `better-auth.session_token=${signed}`, left }
}

const verifyPassword = (pass: string, headers: Record<string, string>) => postJson("/api/auth/verify-password", { password: pass }, headers)

/** Whether an answer is one a password check produced (right or wrong), not a refusal before it. */
const checked = async (response: Response) =>
  response.status === 200 || (response.status === 400 && /INVALID_PASSWORD/.test(await response.clone().text()))

describe("budgets follow the account Better Auth acts on (3)", { timeout: 60_000 }, () => {
  it("a bogus Bearer beside the real session cookie: charged to the user Better Auth acts for, or no check at all", async () => {
    const { cookie, left } = await signedIn()
    // Signed but forged: Better Auth's bearer plugin ignores it and acts for the cookie's user.
    const forged = { cookie, authorization: "Bearer bogusbogusbogusbogusbogusbogus12.c2lnbmF0dXJl" }
    const statuses: Array<number> = []
    for (let i = 0; i <= left; i++) statuses.push((await verifyPassword("wrong-password", forged)).status)
    expect(statuses).toEqual([...Array(left).fill(400), 429])
    // Unsigned: Better Auth signs it and looks for that session, finds none, and checks no password.
    const unsigned = { cookie, authorization: "Bearer bogus-token-that-is-no-session" }
    expect((await verifyPassword("wrong-password", unsigned)).status).toBe(401)
  })

  it("however the session is carried, no request gets a password check without being counted", async () => {
    const { cookie, left, token } = await signedIn()
    const carriers: ReadonlyArray<Record<string, string>> = [
      { authorization: `Bearer ${token}` },
      { cookie },
      { cookie, authorization: "Bearer bogus" },
      { cookie, authorization: "Bearer bogus.c2lnbmF0dXJl" },
      { cookie, authorization: `Bearer ${token}, Bearer bogus` },
      { authorization: `bearer ${token}` },
      { authorization: `BEARER ${token}` },
      { authorization: `Bearer   ${token}` },
      { authorization: `Bearer\t${token}` },
      { authorization: `Basic ${token}`, cookie },
      { authorization: `Bearer ${decodeURIComponent(token)}` },
      { cookie: `${cookie}; better-auth.session_token=bogus` }
    ]
    let checks = 0
    for (let round = 0; round < 2; round++) {
      for (const headers of carriers) if (await checked(await verifyPassword(round === 0 ? "wrong-password" : password, headers))) checks++
    }
    // The budget left after sign-up and sign-in, whatever the carrier: never one check more.
    expect(checks).toBe(left)
  })
})

describe("only attempts count against an account (4)", { timeout: 60_000 }, () => {
  it("sign-ins Better Auth refuses before checking (no password, a wrong type, too long) leave the owner's budget whole", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp("attempts")
    const refusedFirst = [
      { email },
      { email, password: 12345678 },
      { email, password: null },
      { email, password: "p".repeat(129) },
      { email, password: ["a", "b"] },
      { email, password, rememberMe: "yes" }
    ]
    for (const body of refusedFirst) expect([body, (await postJson("/api/auth/sign-in/email", body)).status]).toEqual([body, 400])
    const owner = await postJson("/api/auth/sign-in/email", { email, password })
    expect(owner.status).toBe(200)
    // Only this sign-in was counted since the sign-up and first sign-in.
    expect(await passwordAttemptsLeft(email)).toBe(left - 1)
  })
})

describe("a mailbox has one budget whatever its spelling (5)", { timeout: 60_000 }, () => {
  it("magic links to x+1@, X+2@, ... from many addresses: five mails a minute in all", async () => {
    await awayFromWindowEdge()
    const local = `box-${crypto.randomUUID()}`
    const spellings = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? `${local}+${i}@example.com` : `${local.toUpperCase()}+${i}@EXAMPLE.com`))
    const statuses: Array<number> = []
    for (const email of spellings) statuses.push((await postJson("/api/auth/sign-in/magic-link", { email })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429])
    let mails = 0
    for (const email of spellings) mails += (await mailTo(email)).length
    expect(mails).toBe(5)
    // Password resets and verification mail share the budget.
    expect((await postJson("/api/auth/request-password-reset", { email: `${local}@example.com` })).status).toBe(429)
    expect((await postJson("/api/auth/send-verification-email", { email: `${local}+v@example.com` })).status).toBe(429)
  })

  it("sign-in for the spellings still works as Better Auth defines accounts: each spelling is its own account", async () => {
    await awayFromWindowEdge()
    const local = `acct-${crypto.randomUUID()}`
    const first = await postJson("/api/auth/sign-up/email", { email: `${local}+a@example.com`, password, name: "A" })
    const second = await postJson("/api/auth/sign-up/email", { email: `${local}+b@example.com`, password, name: "B" })
    expect([first.status, second.status]).toEqual([200, 200])
    const a = await postJson("/api/auth/sign-in/email", { email: `${local}+a@example.com`, password })
    const b = await postJson("/api/auth/sign-in/email", { email: `${local}+b@example.com`, password })
    expect([a.status, b.status]).toEqual([200, 200])
    const ids = await Promise.all([a, b].map(async (r) => ((await r.json()) as { user: { id: string } }).user.id))
    expect(new Set(ids).size).toBe(2)
  })
})

describe("password hashing is budgeted (6)", { timeout: 60_000 }, () => {
  it("a right password counts too: one session cannot make the worker hash without end", async () => {
    const { left, token } = await signedIn()
    const statuses: Array<number> = []
    for (let i = 0; i <= left; i++) statuses.push((await verifyPassword(password, { authorization: `Bearer ${token}` })).status)
    expect(statuses).toEqual([...Array(left).fill(200), 429])
  })

  it("one address: at most 10 password requests a minute across sign-in, sign-up and the password routes", async () => {
    // Signed in first (from addresses of its own): its wait for a fresh window comes before the
    // address's requests, which must all fall in one window.
    const { token } = await signedIn()
    const ip = freshIp()
    const statuses: Array<number> = []
    const from = { "cf-connecting-ip": ip }
    for (let i = 0; i < 3; i++) {
      statuses.push((await postJson("/api/auth/sign-up/email", { email: `addr-${crypto.randomUUID()}@example.com`, password, name: "A" }, from)).status)
    }
    for (let i = 0; i < 5; i++) {
      statuses.push((await postJson("/api/auth/sign-in/email", { email: `nobody-${crypto.randomUUID()}@example.com`, password }, from)).status)
    }
    for (let i = 0; i < 4; i++) statuses.push((await verifyPassword("wrong-password", { ...from, authorization: `Bearer ${token}` })).status)
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 401, 401, 400, 400, 429, 429])
  })

  it("the page's own flows stay within the budgets: sign-up, sign-in, a password change, a sign-in", async () => {
    const { email, token } = await signedIn()
    const changed = await postJson("/api/auth/change-password", { currentPassword: password, newPassword: "a-new-password-1" }, { authorization: `Bearer ${token}` })
    expect(changed.status).toBe(200)
    expect((await postJson("/api/auth/sign-in/email", { email, password: "a-new-password-1" })).status).toBe(200)
  })
})

describe("the client's own buckets are visible to it", () => {
  it("a sign-in names the address rule and the address's password budget, not the account's", async () => {
    const { email } = await signUp("fields")
    const answer = await call("/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password })
    })
    expect(answer.headers.get("ratelimit-policy")).toBe(`"sign-in";q=5;w=60, "password-address";q=10;w=60`)
  })
})
