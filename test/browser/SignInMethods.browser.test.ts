/**
 * The other sign-in methods on the page at `/`, in headless Chromium against the real worker
 * (`wrangler dev`, see globalSetup.ts): a passkey made by Chromium's virtual authenticator (CDP
 * `WebAuthn`, no hardware), and a magic link read from the worker's outbox and opened in a tab.
 * Each ends in a session the page holds as a Bearer token and KV holds at `session:<token>`.
 */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import type { Page } from "puppeteer-core"
import { describe, expect, inject, it } from "vitest"
import { clientAddresses, fill, open as openTab, sharedBrowser, storedToken, waitForText } from "./chromium.js"

const chromium = inject("chromium")
const worker = inject("worker")
const workerByName = inject("workerByName")
const password = "correct-horse-battery"
const clientAddress = clientAddresses("203.0.113")
const sevenDays = 7 * 24 * 3600

/**
 * The KV expiry (seconds from now) of every `session:<token>`, read by wrangler from the worker's
 * local state. One listing serves every test (each costs wrangler's start-up, seconds here).
 */
const sessionTtls = async () => {
  const { stdout } = await promisify(execFile)(
    join(process.cwd(), "node_modules", ".bin", "wrangler"),
    ["kv", "key", "list", "--binding", "KV", "--local", "--persist-to", inject("state"), "--prefix", "session:"],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }, maxBuffer: 16 * 1024 * 1024 }
  )
  const keys = JSON.parse(stdout) as Array<{ name: string; expiration?: number }>
  return new Map(keys.map((k) => [k.name, k.expiration === undefined ? undefined : k.expiration - Date.now() / 1000]))
}

/** The raw session token a `set-auth-token` value (`<token>.<signature>`, maybe percent-encoded) carries. */
const rawToken = (bearer: string) => decodeURIComponent(bearer).split(".")[0]!

describe.skipIf(chromium === "")("sign-in methods on the page, in a real browser", () => {
  const browser = sharedBrowser(chromium)
  /** The Bearer token each sign-in above left in the page, checked against KV at the end. */
  const signedIn = new Map<string, string>()

  const expectBearer = (method: string, bearer: string | null) => {
    expect(bearer).toMatch(/^[A-Za-z0-9]+\.[A-Za-z0-9+/=%]+$/)
    signedIn.set(method, bearer!)
  }

  /** Chromium's virtual authenticator for `page`: a platform authenticator that keeps passkeys. */
  const virtualAuthenticator = async (page: Page) => {
    const cdp = await page.createCDPSession()
    await cdp.send("WebAuthn.enable")
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true }
    })
    return { credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials }
  }

  it("passkey: sign up, add a passkey, sign out, sign in with the passkey alone", async () => {
    const { page, errors, close } = await openTab(browser(), `${workerByName}/`, clientAddress())
    const authenticator = await virtualAuthenticator(page)
    const email = `passkey-${crypto.randomUUID()}@example.com`

    await fill(page, { email, password, name: "Ada" })
    await page.click("#sign-up")
    await waitForText(page, "#account-status", `Signed in as ${email}`)
    const firstToken = await storedToken(page, workerByName)

    await page.click("#add-passkey")
    await waitForText(page, "#passkey-status", "Passkey added")
    const [credential, ...others] = await authenticator.credentials()
    expect(others).toEqual([])
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: "localhost" })

    await page.click("#sign-out")
    await waitForText(page, "#account-status", "Signed out")
    expect(await storedToken(page, workerByName)).toBeNull()
    await waitForText(page, "#me-output", `"status": 401`)

    await page.click("#sign-in-passkey")
    await waitForText(page, "#passkey-status", `Signed in as ${email}`)
    await waitForText(page, "#me-output", `"email": "${email}"`)
    const bearer = await storedToken(page, workerByName)
    expect(bearer).not.toBe(firstToken)
    expectBearer("passkey", bearer)
    // The authenticator signed once more: the worker checks its counter on every sign-in.
    expect((await authenticator.credentials())[0]!.signCount).toBeGreaterThan(credential!.signCount)

    expect(errors).toEqual([])
    await close()
  })

  it("passkey: without a registered passkey, signing in with one fails and stores no token", async () => {
    const { page, errors, close } = await openTab(browser(), `${workerByName}/`, clientAddress())
    await virtualAuthenticator(page)
    await page.click("#sign-in-passkey")
    await waitForText(page, "#passkey-status", /^Failed/)
    expect(await storedToken(page, workerByName)).toBeNull()
    await page.click("#add-passkey")
    await waitForText(page, "#passkey-status", /^Failed: 401/)
    expect(errors).toEqual([])
    await close()
  })

  /** Ask for a link on the page at `app`, read it from the outbox, open it in a new tab: signed in, once. */
  const magicLinkFlow = async (app: string, apiBase: string) => {
    const { page, errors, newTab, close } = await openTab(browser(), `${app}/`, clientAddress())
    const email = `magic-${crypto.randomUUID()}@example.com`
    await fill(page, { "magic-link-email": email })
    await page.click("#request-magic-link")
    await waitForText(page, "#magic-link-status", `Link sent to ${email}`)

    const outbox = await fetch(`${worker}/dev/outbox?to=${encodeURIComponent(email)}`)
    const [mail, ...others] = (await outbox.json()) as Array<{ links: Array<string> }>
    expect(others).toEqual([])
    expect(mail!.links).toEqual([expect.stringMatching(new RegExp(`^${app}/#magic-link-token=[A-Za-z]{32}$`))])
    const link = mail!.links[0]!

    const opened = await newTab(link)
    await waitForText(opened, "#magic-link-status", `Signed in as ${email}`)
    // The token left the address bar (and history) at once.
    expect(opened.url()).toBe(`${app}/`)
    await waitForText(opened, "#me-output", `"email": "${email}"`)
    const bearer = await storedToken(opened, apiBase)
    expectBearer(`magic link on ${app}`, bearer)

    // The link works once: opened again, it signs nobody in and leaves the session as it was.
    const again = await newTab(link)
    await waitForText(again, "#magic-link-status", /^Failed: the link is used, expired or unknown/)
    expect(await storedToken(again, apiBase)).toBe(bearer)
    await again.click("#load-me")
    await waitForText(again, "#me-output", `"email": "${email}"`)

    expect(errors).toEqual([])
    await close()
  }

  it("magic link on the worker's own origin: requested on the page, read from the outbox, opened, signed in", async () => {
    await magicLinkFlow(worker, worker)
  })

  it("magic link from an origin in TRUSTED_ORIGINS: the link opens that page, which signs in through CORS", async () => {
    await magicLinkFlow(inject("trustedApp"), worker)
  })

  it("each of those sign-ins is a session in KV, session:<token>, expiring in 7 days", async () => {
    expect([...signedIn.keys()]).toEqual(["passkey", `magic link on ${worker}`, `magic link on ${inject("trustedApp")}`])
    const ttls = await sessionTtls()
    for (const [method, bearer] of signedIn) {
      const ttl = ttls.get(`session:${rawToken(bearer)}`)
      expect(ttl, method).toBeGreaterThan(sevenDays - 300)
      expect(ttl, method).toBeLessThanOrEqual(sevenDays + 1)
    }
  })
})
