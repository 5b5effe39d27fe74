/**
 * The page at `/`, driven in headless Chromium against the real worker (`wrangler dev`, see
 * globalSetup.ts): from the worker's own origin, from an origin in TRUSTED_ORIGINS (CORS in a real
 * browser), and from an origin that is not trusted, which must fail.
 */
import { describe, expect, inject, it } from "vitest"
import { clientAddresses, fill, open as openTab, sharedBrowser, storedToken as storedTokenFor, text, waitForText } from "./chromium.js"

const chromium = inject("chromium")
const worker = inject("worker")
const password = "correct-horse-battery"
const clientAddress = clientAddresses("198.51.100")

describe.skipIf(chromium === "")("the page in a real browser", () => {
  const browser = sharedBrowser(chromium)

  const open = (url: string) => openTab(browser(), url, clientAddress())
  const storedToken = (page: Parameters<typeof storedTokenFor>[0]) => storedTokenFor(page, worker)

  /** Sign up, see the user, sign out, sign in, call the action, read the rate limit, sign out. */
  const wholeFlow = async (url: string) => {
    const { page, errors, close } = await open(url)
    expect(await text(page, "#api-base")).toBe(worker)
    const email = `browser-${crypto.randomUUID()}@example.com`

    await fill(page, { email, password, name: "Ada" })
    await page.click("#sign-up")
    await waitForText(page, "#account-status", `Signed in as ${email}`)
    expect(await storedToken(page)).toMatch(/^[A-Za-z0-9]+\.[A-Za-z0-9+/=%]+$/)
    await waitForText(page, "#me-output", `"email": "${email}"`)
    // The sign-up's, or the sign-in's the page makes right after a sign-up that answers no token.
    await waitForText(page, "#ratelimit-output", /"ratelimit": "\\"(sign-up|sign-in|auth)\\";r=\d+;t=\d+[",]/)

    await page.click("#sign-out")
    await waitForText(page, "#account-status", "Signed out")
    expect(await storedToken(page)).toBeNull()
    await waitForText(page, "#me-output", `"status": 401`)

    await page.click("#sign-in")
    await waitForText(page, "#account-status", `Signed in as ${email}`)
    await waitForText(page, "#me-output", `"email": "${email}"`)
    // The sign-in's own limits, read from headers the worker exposes to the page: the client's
    // address's buckets (the account's is counted but not shown: docs/security.md).
    await waitForText(page, "#ratelimit-output", `"ratelimit-policy": "\\"sign-in\\";q=5;w=60, \\"password-address\\";q=10;w=60"`)

    await page.click("#call-analytics")
    await waitForText(page, "#analytics-output", `"status": 200`)
    expect(await text(page, "#analytics-output")).toContain(`"totalViews"`)

    await page.click("#sign-out")
    await waitForText(page, "#account-status", "Signed out")
    await waitForText(page, "#me-output", `"status": 401`)
    await page.click("#call-analytics")
    await waitForText(page, "#analytics-output", `"status": 401`)

    expect(errors).toEqual([])
    await close()
  }

  it("on the worker's own origin: the whole flow", async () => {
    await wholeFlow(`${worker}/`)
  })

  it("from another origin listed in TRUSTED_ORIGINS: the same page, unchanged, through CORS", async () => {
    await wholeFlow(`${inject("trustedApp")}/`)
  })

  it("from an origin not trusted: the browser refuses, no account is made, a stolen token reads nothing", async () => {
    const { page, close } = await open(`${inject("untrustedApp")}/`)
    const email = `untrusted-${crypto.randomUUID()}@example.com`
    await fill(page, { email, password, name: "Eve" })
    await page.click("#sign-up")
    await waitForText(page, "#account-status", /^Failed/)
    expect(await storedToken(page)).toBeNull()

    // The preflight was refused, so the sign-up never reached Better Auth.
    const signIn = await fetch(`${worker}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": clientAddress() },
      body: JSON.stringify({ email, password })
    })
    expect(signIn.status).toBe(401)

    // A valid token planted in the page still gets it nothing: the browser will not hand it the answer.
    const signUp = await fetch(`${worker}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": clientAddress() },
      body: JSON.stringify({ email: `victim-${crypto.randomUUID()}@example.com`, password, name: "Victim" })
    })
    const token = signUp.headers.get("set-auth-token")!
    await page.evaluate((key, token) => localStorage.setItem(key, token), `bearer_token:${worker}`, token)
    await page.click("#load-me")
    await waitForText(page, "#me-output", /Failed to fetch|NetworkError|network/i)
    await close()
  })

  /**
   * The page with `/api/capabilities` answered in the worker's place (the worker under test sends
   * mail and has passkeys; MAILER=none's own answer is checked in workerd, Capabilities), counting
   * how often the page asks.
   */
  const offering = async (capabilities: { readonly mail: boolean; readonly passkeys: boolean } | undefined) => {
    const asked: Array<string> = []
    const tab = await openTab(browser(), `${worker}/`, clientAddress(), {
      respond: async (request) => {
        if (new URL(request.url()).pathname !== "/api/capabilities") return undefined
        asked.push(request.method())
        return capabilities === undefined ? undefined : { status: 200, contentType: "application/json", body: JSON.stringify(capabilities) }
      }
    })
    const shown = await tab.page.$$eval("#sections > section", (sections) => sections.map((s) => s.id))
    return { ...tab, asked, shown }
  }

  const every = ["account", "passkey", "magic-link", "me", "sessions", "passkeys", "change-password", "analytics", "rate-limit"]

  it("the page asks the worker once what it offers; this one offers everything, so every section is shown", async () => {
    const { page, errors, close, asked, shown } = await offering(undefined)
    expect(asked).toEqual(["GET"])
    expect(shown).toEqual(every)
    expect(await page.$eval("#not-offered", (p) => (p as HTMLElement).hidden)).toBe(true)
    expect(errors).toEqual([])
    await close()
  })

  it("mail off: no magic link section, and the page says why; passkeys off too: neither passkey section", async () => {
    const mailOff = await offering({ mail: false, passkeys: true })
    expect(mailOff.shown).toEqual(every.filter((id) => id !== "magic-link"))
    expect(await text(mailOff.page, "#not-offered")).toBe("Not offered by this server: sign-in links by mail (this server sends no mail).")
    // The rest works as before: a sign-up and the user shown.
    const email = `mail-off-${crypto.randomUUID()}@example.com`
    await fill(mailOff.page, { email, password, name: "Ada" })
    await mailOff.page.click("#sign-up")
    await waitForText(mailOff.page, "#account-status", `Signed in as ${email}`)
    await waitForText(mailOff.page, "#me-output", `"email": "${email}"`)
    expect(mailOff.errors).toEqual([])
    await mailOff.close()

    const neither = await offering({ mail: false, passkeys: false })
    expect(neither.shown).toEqual(every.filter((id) => !["magic-link", "passkey", "passkeys"].includes(id)))
    expect(await text(neither.page, "#not-offered")).toBe("Not offered by this server: sign-in links by mail (this server sends no mail); passkeys.")
    expect(neither.errors).toEqual([])
    await neither.close()
  })

  it("the worker still answers its own routes beside the page", async () => {
    const health = await fetch(`${worker}/health`)
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }])
    const me = await fetch(`${worker}/api/me`)
    expect([me.status, me.headers.get("content-type")]).toEqual([401, "application/json"])
    const openapi = await fetch(`${worker}/openapi.json`)
    expect(openapi.status).toBe(200)
    const page = await fetch(`${worker}/`)
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"])
  })
})
