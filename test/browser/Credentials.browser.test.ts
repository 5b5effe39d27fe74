/**
 * Managing one's credentials on the page at `/` (OWASP ASVS 5.0 7.4.3, 7.5.2), in headless Chromium
 * against the real worker (`wrangler dev`, see globalSetup.ts): the Sessions section (one user's
 * sessions in two browser contexts, ending one, ending all others, ending one's own), the Your
 * passkeys section (a passkey made by Chromium's virtual authenticator, listed, deleted, then
 * refused), the offer to end the other sessions after a factor changed (the password, a passkey
 * added or deleted), and a Sign up button that still signs in when the sign-up answer carries no
 * token.
 */
import type { HTTPRequest, Page } from "puppeteer-core"
import { describe, expect, inject, it } from "vitest"
import { clientAddresses, fill, isHidden, open as openTab, sharedBrowser, storedToken, text, waitForText } from "./chromium.js"
import type { TabOptions } from "./chromium.js"

const chromium = inject("chromium")
const worker = inject("worker")
const workerByName = inject("workerByName")
const password = "correct-horse-battery"
const clientAddress = clientAddresses("192.0.2")

/** The browsers of the two sessions, as Better Auth records them (`user-agent`). */
const browserA = "edge-auth-state-test/A (first browser)"
const browserB = "edge-auth-state-test/B (second browser)"

/** The rows of the Sessions list as the page shows them. */
const sessionRows = (page: Page) =>
  page.$$eval("#sessions-list li", (items) =>
    items.map((item) => ({
      current: (item as HTMLElement).dataset["current"] === "true",
      userAgent: item.querySelector(".user-agent")?.textContent ?? "",
      text: item.textContent ?? ""
    })))

/** Clicks the End button of the session the list shows for `userAgent`. */
const endSessionOf = async (page: Page, userAgent: string) => {
  const id = await page.$$eval(
    "#sessions-list li",
    (items, userAgent) => items.filter((item) => item.querySelector(".user-agent")?.textContent === userAgent).map((item) => item.id),
    userAgent
  )
  expect(id).toHaveLength(1)
  await page.click(`#${id[0]!} .end-session`)
}

/** The raw session token a `set-auth-token` value (`<token>.<signature>`, maybe percent-encoded) carries. */
const rawToken = (bearer: string) => decodeURIComponent(bearer).split(".")[0]!

/** `GET /api/me` from Node with a Bearer token: the worker's own answer, outside any page. */
const meStatus = async (bearer: string) =>
  (await fetch(`${worker}/api/me`, { headers: { authorization: `Bearer ${bearer}` } })).status

describe.skipIf(chromium === "")("managing sessions, passkeys and the password on the page, in a real browser", () => {
  const browser = sharedBrowser(chromium)

  const open = (url: string, options: TabOptions = {}) => openTab(browser(), url, clientAddress(), options)

  /** A new user signed up on a fresh page (browser A); its email. */
  const signedUp = async (url: string, options: TabOptions = {}) => {
    const tab = await open(url, options)
    const email = `credentials-${crypto.randomUUID()}@example.com`
    await fill(tab.page, { email, password, name: "Ada" })
    await tab.page.click("#sign-up")
    await waitForText(tab.page, "#account-status", `Signed in as ${email}`)
    return { ...tab, email }
  }

  /** The same user signed in on a page of its own (another browser context: storage of its own). */
  const signedIn = async (url: string, email: string, options: TabOptions = {}) => {
    const tab = await open(url, options)
    await fill(tab.page, { email, password })
    await tab.page.click("#sign-in")
    await waitForText(tab.page, "#account-status", `Signed in as ${email}`)
    return tab
  }

  it("signed out, the sections show a hint and nothing else", async () => {
    const { page, errors, close } = await open(`${worker}/`)
    for (const part of ["sessions", "passkeys", "change-password"]) expect(await isHidden(page, `#${part}-hint`), part).toBe(false)
    expect(await isHidden(page, "#sessions-signed-in")).toBe(true)
    expect(await isHidden(page, "#passkeys-signed-in")).toBe(true)
    expect(await isHidden(page, "#change-password form")).toBe(true)
    for (const offer of ["change-password", "passkey", "passkeys"]) expect(await isHidden(page, `#${offer}-offer`), offer).toBe(true)
    expect(errors).toEqual([])
    await close()
  })

  it("sessions: one user in two browsers; both are listed, and ending B's from A signs B out and shrinks A's list", async () => {
    const a = await signedUp(`${worker}/`, { userAgent: browserA })
    await waitForText(a.page, "#sessions-summary", "1 active session")
    expect(await isHidden(a.page, "#sessions-hint")).toBe(true)
    expect(await sessionRows(a.page)).toEqual([expect.objectContaining({ current: true, userAgent: browserA })])

    const b = await signedIn(`${worker}/`, a.email, { userAgent: browserB })
    await waitForText(b.page, "#sessions-summary", "2 active sessions")
    expect(await sessionRows(b.page)).toEqual(expect.arrayContaining([
      expect.objectContaining({ current: true, userAgent: browserB }),
      expect.objectContaining({ current: false, userAgent: browserA })
    ]))

    // A's list is read again on demand: it now shows B's session too, its own still marked.
    await a.page.click("#load-sessions")
    await waitForText(a.page, "#sessions-summary", "2 active sessions")
    const rows = await sessionRows(a.page)
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ current: true, userAgent: browserA }),
      expect.objectContaining({ current: false, userAgent: browserB })
    ]))
    // Each with the time it started, in the reader's format.
    for (const row of rows) expect(row.text).toMatch(/started (?!unknown time)\S/)
    // The session tokens the list carries (usable as Bearer credentials) are kept out of the markup.
    const markup = await a.page.content()
    for (const tab of [a, b]) expect(markup).not.toContain(rawToken((await storedToken(tab.page, worker))!))

    await endSessionOf(a.page, browserB)
    await waitForText(a.page, "#sessions-status", "Session ended")
    await waitForText(a.page, "#sessions-summary", "1 active session")
    expect(await sessionRows(a.page)).toEqual([expect.objectContaining({ current: true, userAgent: browserA })])

    // B's session is over: the API refuses its token, and so does Better Auth's own list.
    await b.page.click("#load-me")
    await waitForText(b.page, "#me-output", `"status": 401`)
    await b.page.click("#load-sessions")
    await waitForText(b.page, "#sessions-summary", /^Failed: 401/)
    expect(await meStatus((await storedToken(b.page, worker))!)).toBe(401)
    // A is still signed in.
    await a.page.click("#load-me")
    await waitForText(a.page, "#me-output", `"email": "${a.email}"`)

    expect([...a.errors, ...b.errors]).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  it("sessions: End all other sessions ends B's and one made outside the page; ending A's own signs A out", async () => {
    const a = await signedUp(`${worker}/`, { userAgent: browserA })
    const b = await signedIn(`${worker}/`, a.email, { userAgent: browserB })
    // A third session of the same user, signed in from Node: a device the page knows nothing of.
    const signIn = await fetch(`${worker}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": clientAddress(), "user-agent": "a third device" },
      body: JSON.stringify({ email: a.email, password })
    })
    const bearerC = signIn.headers.get("set-auth-token")!
    expect(await meStatus(bearerC)).toBe(200)

    await a.page.click("#load-sessions")
    await waitForText(a.page, "#sessions-summary", "3 active sessions")
    await a.page.click("#end-other-sessions")
    await waitForText(a.page, "#sessions-status", "Every other session ended")
    await waitForText(a.page, "#sessions-summary", "1 active session")
    expect(await sessionRows(a.page)).toEqual([expect.objectContaining({ current: true, userAgent: browserA })])
    expect(await meStatus(bearerC)).toBe(401)
    await b.page.click("#load-me")
    await waitForText(b.page, "#me-output", `"status": 401`)
    // With no other session left, the button has nothing to do.
    expect(await a.page.$eval("#end-other-sessions", (button) => (button as HTMLButtonElement).disabled)).toBe(true)

    // A ends its own session: the page is signed out everywhere it shows it.
    const bearerA = (await storedToken(a.page, worker))!
    await a.page.click(`#sessions-list li[data-current="true"] .end-session`)
    await waitForText(a.page, "#sessions-status", "This session ended: signed out")
    await waitForText(a.page, "#account-status", "Signed out")
    await waitForText(a.page, "#me-output", `"status": 401`)
    expect(await storedToken(a.page, worker)).toBeNull()
    expect(await meStatus(bearerA)).toBe(401)
    for (const part of ["sessions", "passkeys", "change-password"]) expect(await isHidden(a.page, `#${part}-hint`), part).toBe(false)
    expect(await isHidden(a.page, "#sessions-signed-in")).toBe(true)

    expect([...a.errors, ...b.errors]).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  /** Chromium's virtual authenticator for `page`: a platform authenticator that keeps passkeys. */
  const virtualAuthenticator = async (page: Page) => {
    const cdp = await page.createCDPSession()
    await cdp.send("WebAuthn.enable")
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true }
    })
    return { credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials }
  }

  it("passkeys: one added is listed at once, signs in, and once deleted is listed no more and signs nobody in", async () => {
    const { page, errors, close, email } = await signedUp(`${workerByName}/`)
    const authenticator = await virtualAuthenticator(page)
    await waitForText(page, "#passkeys-summary", "No passkeys")

    await page.click("#add-passkey")
    await waitForText(page, "#passkey-status", "Passkey added")
    // The list is read again after the addition, without being asked.
    await waitForText(page, "#passkeys-summary", "1 passkey")
    // The page names a passkey after the browser (Better Auth's passkey plugin stores it trimmed).
    const name = await page.evaluate(() => navigator.userAgent.slice(0, 64).trim())
    expect(await page.$$eval("#passkeys-list .passkey-name", (names) => names.map((n) => n.textContent))).toEqual([name])
    expect(await text(page, "#passkeys-list")).toMatch(/added (?!unknown time)\S/)
    expect(await authenticator.credentials()).toHaveLength(1)

    // It works: signed out, then in with the passkey alone.
    await page.click("#sign-out")
    await waitForText(page, "#account-status", "Signed out")
    await waitForText(page, "#passkeys-summary", "Not loaded")
    expect(await isHidden(page, "#passkeys-signed-in")).toBe(true)
    await page.click("#sign-in-passkey")
    await waitForText(page, "#passkey-status", `Signed in as ${email}`)
    await waitForText(page, "#passkeys-summary", "1 passkey")

    await page.click("#passkeys-list .delete-passkey")
    await waitForText(page, "#passkeys-status", "Passkey deleted")
    await waitForText(page, "#passkeys-summary", "No passkeys")
    expect(await page.$$("#passkeys-list li")).toHaveLength(0)

    // The authenticator still holds the credential, but the worker no longer accepts it.
    expect(await authenticator.credentials()).toHaveLength(1)
    await page.click("#sign-out")
    await waitForText(page, "#account-status", "Signed out")
    await page.click("#sign-in-passkey")
    await waitForText(page, "#passkey-status", /^Failed/)
    expect(await storedToken(page, workerByName)).toBeNull()
    await page.click("#load-me")
    await waitForText(page, "#me-output", `"status": 401`)

    expect(errors).toEqual([])
    await close()
  })

  it("passkeys: adding one and deleting one each offer to end the other sessions; taking the offer signs B out and not A", async () => {
    const a = await signedUp(`${workerByName}/`, { userAgent: browserA })
    await virtualAuthenticator(a.page)
    const b = await signedIn(`${workerByName}/`, a.email, { userAgent: browserB })
    /** B's page and the worker itself: is B's session still on? */
    const bSignedIn = async (expected: boolean) => {
      await b.page.click("#load-me")
      await waitForText(b.page, "#me-output", expected ? `"email": "${a.email}"` : `"status": 401`)
      expect(await meStatus((await storedToken(b.page, workerByName))!)).toBe(expected ? 200 : 401)
    }
    expect(await isHidden(a.page, "#passkey-offer")).toBe(true)

    // Added: offered, and B stays signed in until the offer is taken.
    await a.page.click("#add-passkey")
    await waitForText(a.page, "#passkey-status", "Passkey added")
    expect(await isHidden(a.page, "#passkey-offer")).toBe(false)
    expect(await text(a.page, "#passkey-offer")).toContain("End all other sessions")
    await bSignedIn(true)
    await a.page.click("#passkey-end-others")
    await waitForText(a.page, "#passkey-status", "Passkey added; every other session ended")
    expect(await isHidden(a.page, "#passkey-offer")).toBe(true)
    await waitForText(a.page, "#sessions-summary", "1 active session")
    await bSignedIn(false)

    // B signs in again; A deletes the passkey: offered again, in the list's section.
    await b.page.click("#sign-in")
    // The page reads /api/me again once signed in: it answered 401 until then.
    await waitForText(b.page, "#me-output", `"email": "${a.email}"`)
    await a.page.click("#load-sessions")
    await waitForText(a.page, "#sessions-summary", "2 active sessions")
    expect(await isHidden(a.page, "#passkeys-offer")).toBe(true)
    await a.page.click("#passkeys-list .delete-passkey")
    await waitForText(a.page, "#passkeys-status", "Passkey deleted")
    expect(await isHidden(a.page, "#passkeys-offer")).toBe(false)
    await bSignedIn(true)
    await a.page.click("#passkeys-end-others")
    await waitForText(a.page, "#passkeys-status", "Passkey deleted; every other session ended")
    expect(await isHidden(a.page, "#passkeys-offer")).toBe(true)
    await waitForText(a.page, "#sessions-summary", "1 active session")
    await bSignedIn(false)

    // A is still signed in.
    await a.page.click("#load-me")
    await waitForText(a.page, "#me-output", `"email": "${a.email}"`)
    expect([...a.errors, ...b.errors]).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  // An account's password attempts are 5 a minute, its sign-up and every sign-in and password check
  // among them (docs/rate-limiting.md): each test below stays within them.

  it("change password: a wrong current password changes nothing and offers nothing; after the right one, the new password signs in", async () => {
    const a = await signedUp(`${worker}/`, { userAgent: browserA })
    const newPassword = "staple-battery-horse-correct"
    expect(await isHidden(a.page, "#change-password form")).toBe(false)
    expect(await isHidden(a.page, "#change-password-offer")).toBe(true)

    await fill(a.page, { "current-password": "not-the-password", "new-password": newPassword })
    await a.page.click("#change-password-submit")
    await waitForText(a.page, "#change-password-status", /^Failed: 400 INVALID_PASSWORD/)
    expect(await isHidden(a.page, "#change-password-offer")).toBe(true)

    await fill(a.page, { "current-password": password, "new-password": newPassword })
    await a.page.click("#change-password-submit")
    await waitForText(a.page, "#change-password-status", "Password changed")
    await a.page.click("#sign-out")
    await waitForText(a.page, "#account-status", "Signed out")
    await fill(a.page, { password: newPassword })
    await a.page.click("#sign-in")
    await waitForText(a.page, "#account-status", `Signed in as ${a.email}`)

    expect(a.errors).toEqual([])
    await a.close()
  })

  it("change password: the other sessions stay until the offer is taken; then B is signed out and A is not, and the old password signs nobody in", async () => {
    const a = await signedUp(`${worker}/`, { userAgent: browserA })
    const b = await signedIn(`${worker}/`, a.email, { userAgent: browserB })
    const newPassword = "staple-battery-horse-correct"

    await fill(a.page, { "current-password": password, "new-password": newPassword })
    await a.page.click("#change-password-submit")
    await waitForText(a.page, "#change-password-status", "Password changed")
    expect(await isHidden(a.page, "#change-password-offer")).toBe(false)
    expect(await text(a.page, "#change-password-offer")).toContain("End all other sessions")
    // The change alone leaves B signed in: that is what the offer is for.
    await b.page.click("#load-me")
    await waitForText(b.page, "#me-output", `"email": "${a.email}"`)

    await a.page.click("#change-password-end-others")
    await waitForText(a.page, "#change-password-status", "Password changed; every other session ended")
    expect(await isHidden(a.page, "#change-password-offer")).toBe(true)
    await waitForText(a.page, "#sessions-summary", "1 active session")
    await b.page.click("#load-me")
    await waitForText(b.page, "#me-output", `"status": 401`)
    await a.page.click("#load-me")
    await waitForText(a.page, "#me-output", `"email": "${a.email}"`)

    // B cannot sign in again with the old password.
    await b.page.click("#sign-in")
    await waitForText(b.page, "#account-status", /^Failed: 401/)

    expect([...a.errors, ...b.errors]).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  /** Counts a tab's requests to an auth route, for `open`'s `respond`. */
  const counting = () => {
    const calls: Array<string> = []
    const count = (request: HTTPRequest) => {
      const path = new URL(request.url()).pathname
      if (path.startsWith("/api/auth/")) calls.push(`${request.method()} ${path}`)
    }
    return { calls, count }
  }

  it("sign up (no token, whether or not the address has an account): the page signs in right after, with the same credentials", async () => {
    // A new address: the sign-up signs nobody in, so the page signs in with the same credentials.
    const first = counting()
    const a = await open(`${worker}/`, { userAgent: browserA, respond: async (request) => (first.count(request), undefined) })
    const email = `signed-up-${crypto.randomUUID()}@example.com`
    await fill(a.page, { email, password, name: "Ada" })
    await a.page.click("#sign-up")
    await waitForText(a.page, "#account-status", `Signed in as ${email}`)
    expect(await storedToken(a.page, worker)).toMatch(/^[A-Za-z0-9]+\.[A-Za-z0-9+/=%]+$/)
    await waitForText(a.page, "#me-output", `"email": "${email}"`)
    expect(first.calls.filter((call) => call.startsWith("POST "))).toEqual(["POST /api/auth/sign-up/email", "POST /api/auth/sign-in/email"])
    // The one session is the page's sign-in: the sign-up made none.
    await waitForText(a.page, "#sessions-summary", "1 active session")

    // The same address again, in another browser, with its password: the same answer, the same outcome.
    const b = await open(`${worker}/`, { userAgent: browserB })
    await fill(b.page, { email, password, name: "Someone" })
    await b.page.click("#sign-up")
    await waitForText(b.page, "#account-status", `Signed in as ${email}`)
    await waitForText(b.page, "#sessions-summary", "2 active sessions")

    expect([...a.errors, ...b.errors]).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  it("sign up for an address that has an account, with another password: the sign-in after it fails as a sign-in would, nothing stored", async () => {
    const email = `taken-${crypto.randomUUID()}@example.com`
    const signedUpFromNode = await fetch(`${worker}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": clientAddress() },
      body: JSON.stringify({ email, password, name: "Ada" })
    })
    expect(signedUpFromNode.status).toBe(200)
    const c = await open(`${worker}/`)
    await fill(c.page, { email, password: "another-password-entirely", name: "Eve" })
    await c.page.click("#sign-up")
    await waitForText(c.page, "#account-status", /^Failed: 401/)
    expect(await storedToken(c.page, worker)).toBeNull()
    expect(c.errors).toEqual([])
    await c.close()
  })
})
