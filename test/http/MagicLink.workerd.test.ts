import { env, fetchMock } from "cloudflare:test"
import { Either, Redacted } from "effect"
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { awayFromWindowEdge, call, freshIp, me, origin, postJson, signUp } from "./helpers.js"
import { mailTo, pathOf, rawToken, sessionTtl } from "./outbox.js"

const sevenDays = 7 * 24 * 3600
const newAddress = () => `magic-${crypto.randomUUID()}@example.com`

const requestLink = (email: string, headers: Record<string, string> = {}) =>
  postJson("/api/auth/sign-in/magic-link", { email }, headers)

/** Requests a link for `email` and returns the one link in the one mail it sent. */
const linkFor = async (email: string) => {
  const response = await requestLink(email)
  expect(response.status).toBe(200)
  const mails = await mailTo(email)
  expect(mails).toHaveLength(1)
  expect(mails[0]!.links).toHaveLength(1)
  return mails[0]!.links[0]!
}

const follow = (link: string) => call(pathOf(link), { redirect: "manual" })

const hashOf = async (token: string) => {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

describe("magic link sign-in", { timeout: 30_000 }, () => {
  it("a new address: one mail, its link signs in (account created), Bearer works, session:<token> lives 7 days in KV", async () => {
    const email = newAddress()
    const response = await requestLink(email)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: true })
    const [mail, ...others] = await mailTo(email)
    expect(others).toEqual([])
    expect(mail!.subject).toBe("Sign in to edge-auth-state")
    expect(mail!.links).toEqual([expect.stringMatching(/^http:\/\/localhost:8787\/api\/auth\/magic-link\/verify\?token=[A-Za-z]{32}&callbackURL=%2F$/)])
    expect(Math.abs(Date.parse(mail!.sentAt) - Date.now())).toBeLessThan(60_000)

    const followed = await follow(mail!.links[0]!)
    expect(followed.status).toBe(302)
    expect(followed.headers.get("location")).toBe(`${origin}/`)
    const bearer = followed.headers.get("set-auth-token")
    expect(bearer).toBeTruthy()

    const user = await me(`Bearer ${bearer}`)
    expect(user.status).toBe(200)
    expect(await user.json()).toMatchObject({ user: { email, emailVerified: true } })
    const ttl = await sessionTtl(env.KV, rawToken(bearer!))
    expect(ttl).toBeGreaterThan(sevenDays - 120)
    expect(ttl).toBeLessThanOrEqual(sevenDays + 1)
  })

  it("an existing account signs in to that account", async () => {
    const { email, userId } = await signUp("magic-existing")
    const followed = await follow(await linkFor(email))
    const bearer = followed.headers.get("set-auth-token")!
    expect(await (await me(`Bearer ${bearer}`)).json()).toMatchObject({ user: { id: userId, email } })
  })

  it("a link works once", async () => {
    const link = await linkFor(newAddress())
    expect((await follow(link)).headers.get("set-auth-token")).toBeTruthy()
    const again = await follow(link)
    expect(again.status).toBe(302)
    expect(again.headers.get("location")).toContain("error=INVALID_TOKEN")
    expect(again.headers.get("set-auth-token")).toBeNull()
  })

  it("a link followed many times at once signs in exactly once (consumed from D1, atomically)", async () => {
    const link = await linkFor(newAddress())
    const answers = await Promise.all(Array.from({ length: 8 }, () => follow(link)))
    expect(answers.filter((a) => a.headers.get("set-auth-token") !== null)).toHaveLength(1)
    expect(answers.filter((a) => a.headers.get("location")?.includes("error=INVALID_TOKEN"))).toHaveLength(7)
  })

  it("D1 and KV keep only a hash of the token, expiring 5 minutes after the request; once expired the link is refused", async () => {
    const link = await linkFor(newAddress())
    const token = new URL(link).searchParams.get("token")!
    expect(await env.DB.prepare(`select count(*) as n from verification where identifier like ?1 or value like ?1`).bind(`%${token}%`).first("n")).toBe(0)
    const row = await env.DB.prepare(`select expiresAt, createdAt from verification where identifier = ?1`).bind(`magic-link:${await hashOf(token)}`)
      .first<{ expiresAt: string | number; createdAt: string | number }>()
    expect(row).not.toBeNull()
    // Better Auth reads the clock once for the expiry and again for createdAt: a millisecond or
    // two may pass between them, so the lifetime is 5 minutes less that.
    const lifetime = new Date(row!.expiresAt).getTime() - new Date(row!.createdAt).getTime()
    expect(lifetime).toBeLessThanOrEqual(300_000)
    expect(lifetime).toBeGreaterThan(300_000 - 1000)
    // KV holds a cache copy under the same hashed identifier, and no trace of the token itself.
    const hashed = `auth:verification:magic-link:${await hashOf(token)}`
    expect(await env.KV.get(hashed)).toContain("magic-link")
    const { keys } = await env.KV.list({ prefix: "auth:verification:" })
    for (const key of keys) {
      expect(key.name).not.toContain(token)
      expect(await env.KV.get(key.name)).not.toContain(token)
    }

    // Five minutes pass (D1 holds the truth; its clock cannot be moved, the row's expiry can).
    const past = new Date(Date.now() - 1000)
    await env.DB.prepare(`update verification set expiresAt = ?1 where identifier = ?2`)
      .bind(typeof row!.expiresAt === "number" ? past.getTime() : past.toISOString(), `magic-link:${await hashOf(token)}`).run()
    const followed = await follow(link)
    expect(followed.headers.get("location")).toContain("error=INVALID_TOKEN")
    expect(followed.headers.get("set-auth-token")).toBeNull()
  })

  it("a forged or truncated token signs nobody in", async () => {
    const link = await linkFor(newAddress())
    const url = new URL(link)
    for (const token of [url.searchParams.get("token")!.slice(0, -1), "x".repeat(32), ""]) {
      url.searchParams.set("token", token)
      const answer = await follow(url.toString())
      expect(answer.headers.get("set-auth-token")).toBeNull()
      expect([302, 400]).toContain(answer.status)
    }
  })

  it("callback URLs must stay on a trusted origin: no open redirect, in the request or in a crafted link", async () => {
    const email = newAddress()
    const refused = await postJson("/api/auth/sign-in/magic-link", { email, callbackURL: "https://evil.example/steal" })
    expect(refused.status).toBe(403)
    expect(await mailTo(email)).toEqual([])
    const link = new URL(await linkFor(newAddress()))
    for (const name of ["callbackURL", "errorCallbackURL", "newUserCallbackURL"]) {
      const crafted = new URL(link)
      crafted.searchParams.set(name, "https://evil.example/steal")
      const answer = await follow(crafted.toString())
      expect(answer.status).toBe(403)
      expect(answer.headers.get("location")).toBeNull()
      expect(answer.headers.get("set-auth-token")).toBeNull()
    }
    // The genuine link still works: the refusals did not consume it.
    expect((await follow(link.toString())).headers.get("set-auth-token")).toBeTruthy()
  })

  it("a link for a page (metadata.link = \"page\"): it opens callbackURL with the token in the fragment; the page's fetch of verify signs in once", async () => {
    const email = newAddress()
    const requested = await postJson("/api/auth/sign-in/magic-link", { email, callbackURL: `${origin}/app?x=1`, metadata: { link: "page" } })
    expect(requested.status).toBe(200)
    const [mail] = await mailTo(email)
    expect(mail!.links).toEqual([expect.stringMatching(new RegExp(`^${origin}/app\\?x=1#magic-link-token=[A-Za-z]{32}$`))])
    const token = new URL(mail!.links[0]!).hash.slice("#magic-link-token=".length)

    // What the page does: verify without a callbackURL, and read the JSON and the header.
    const verified = await call(`/api/auth/magic-link/verify?token=${token}`, { redirect: "manual" })
    expect(verified.status).toBe(200)
    const bearer = verified.headers.get("set-auth-token")!
    expect(await verified.json()).toMatchObject({ user: { email, emailVerified: true } })
    expect(await (await me(`Bearer ${bearer}`)).json()).toMatchObject({ user: { email } })
    const ttl = await sessionTtl(env.KV, rawToken(bearer))
    expect(ttl).toBeGreaterThan(sevenDays - 120)

    const again = await call(`/api/auth/magic-link/verify?token=${token}`, { redirect: "manual" })
    expect(again.status).toBe(302)
    expect(again.headers.get("location")).toContain("error=INVALID_TOKEN")
    expect(again.headers.get("set-auth-token")).toBeNull()
  })

  it("a page link is a relative callbackURL resolved on the worker; other metadata keeps Better Auth's verify link", async () => {
    const relative = newAddress()
    await postJson("/api/auth/sign-in/magic-link", { email: relative, metadata: { link: "page" } })
    expect((await mailTo(relative))[0]!.links).toEqual([expect.stringMatching(/^http:\/\/localhost:8787\/#magic-link-token=[A-Za-z]{32}$/)])
    for (const metadata of [{ link: "Page" }, { link: ["page"] }, { other: "page" }]) {
      const email = newAddress()
      await postJson("/api/auth/sign-in/magic-link", { email, metadata })
      expect((await mailTo(email))[0]!.links).toEqual([expect.stringMatching(/^http:\/\/localhost:8787\/api\/auth\/magic-link\/verify\?token=/)])
    }
  })

  it("a page link cannot point at an untrusted origin: refused, no mail", async () => {
    const spellings = [
      "https://evil.example/steal",
      "//evil.example/steal",
      "/\\evil.example/steal",
      "\\\\evil.example/steal",
      "/\t/evil.example/steal",
      "HTTPS://EVIL.EXAMPLE/steal",
      "javascript:alert(1)",
      "https://localhost:8787.evil.example/"
    ]
    for (const callbackURL of spellings) {
      const email = newAddress()
      const refused = await postJson("/api/auth/sign-in/magic-link", { email, callbackURL, metadata: { link: "page" } })
      expect(refused.status).toBe(403)
      expect(await mailTo(email)).toEqual([])
    }
  })

  it("the answer does not reveal whether the account exists", async () => {
    const { email } = await signUp("magic-reveal")
    const known = await requestLink(email)
    const unknown = await requestLink(newAddress())
    expect(known.status).toBe(unknown.status)
    expect(await known.text()).toBe(await unknown.text())
    const names = (r: Response) => [...r.headers.keys()].filter((k) => k !== "x-request-id" && k !== "ratelimit").sort()
    expect(names(known)).toEqual(names(unknown))
  })

  it("is limited per client address and per mailbox; a refusal sends no mail", async () => {
    await awayFromWindowEdge()
    const ip = freshIp()
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await requestLink(newAddress(), { "cf-connecting-ip": ip })).status)
    expect(statuses).toEqual([200, 200, 200, 429])

    const email = newAddress()
    const perMailbox: Array<number> = []
    for (let i = 0; i < 6; i++) perMailbox.push((await requestLink(email)).status)
    expect(perMailbox).toEqual([200, 200, 200, 200, 200, 429])
    expect(await mailTo(email)).toHaveLength(5)
    // Spelling the address differently is the same mailbox, or no address at all.
    expect((await requestLink(email.toUpperCase())).status).toBe(429)
    expect((await requestLink(`  ${email} `)).status).toBe(400)
    expect(await mailTo(email)).toHaveLength(5)
  })
})

describe("magic link, configured otherwise", () => {
  const config = () => Either.getOrThrow(readConfig(env))

  it("with MAGIC_LINK_SIGN_UP=false an unknown address gets a mail but no account", async () => {
    const app = appOf({ ...config(), magicLinkSignUp: false })
    const send = (path: string, init: RequestInit = {}) =>
      app.handler(new Request(`${origin}${path}`, { ...init, headers: { origin, "cf-connecting-ip": freshIp(), ...(init.headers as Record<string, string>) } }))
    const email = newAddress()
    const requested = await send("/api/auth/sign-in/magic-link", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email })
    })
    expect(requested.status).toBe(200)
    const [mail] = await mailTo(email, send)
    const followed = await send(pathOf(mail!.links[0]!), { redirect: "manual" })
    expect(followed.headers.get("location")).toContain("error=new_user_signup_disabled")
    expect(followed.headers.get("set-auth-token")).toBeNull()
    await app.dispose()
  })
})

describe("when the mail provider fails", () => {
  beforeAll(() => {
    fetchMock.activate()
    fetchMock.disableNetConnect()
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const withResend = () =>
    appOf({
      ...Either.getOrThrow(readConfig(env)),
      mailer: { _tag: "Resend", from: "Auth <auth@example.com>", apiKey: Redacted.make("re_test_key") }
    })

  const logged = (spy: ReturnType<typeof vi.spyOn>) =>
    spy.mock.calls.map((args) => {
      try {
        return JSON.parse(String(args[0])) as Record<string, unknown>
      } catch {
        return {}
      }
    })

  it("a magic-link request answers as for any address; the mail is sent after the answer and its failure logged with the request id", async () => {
    fetchMock.get("https://api.resend.com").intercept({ path: "/emails", method: "POST" }).reply(500, { message: "internal" })
    const spy = vi.spyOn(console, "log").mockImplementation(() => {})
    const app = withResend()
    const background: Array<Promise<unknown>> = []
    const response = await app.handler(new Request(`${origin}/api/auth/sign-in/magic-link`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", "cf-connecting-ip": freshIp(), "cf-ray": "9a8b7c6d5e4f3a21-AMS" },
      body: JSON.stringify({ email: newAddress() })
    }), { waitUntil: (promise) => void background.push(promise) })
    expect(response.status).toBe(200)
    expect(response.headers.get("x-request-id")).toBe("9a8b7c6d5e4f3a21-AMS")
    expect(await response.json()).toEqual({ status: true })
    // The send runs in ctx.waitUntil, after the answer.
    expect(background.length).toBeGreaterThanOrEqual(1)
    await Promise.all(background)
    const line = logged(spy).find((l) => Array.isArray(l["message"]) && (l["message"] as Array<unknown>).includes("mail not sent"))
    expect(line).toMatchObject({ logLevel: "ERROR", annotations: { requestId: "9a8b7c6d5e4f3a21-AMS" } })
    expect(JSON.stringify(line)).toContain("mail provider answered 500")
    expect(JSON.stringify(logged(spy))).not.toContain("re_test_key")
    await app.dispose()
  })

  it("a password-reset request answers as usual (no hint that the account exists), and the failure is logged", async () => {
    fetchMock.get("https://api.resend.com").intercept({ path: "/emails", method: "POST" }).reply(401, { message: "API key is invalid" })
    const { email } = await signUp("reset-mail-fails")
    const spy = vi.spyOn(console, "log").mockImplementation(() => {})
    vi.spyOn(console, "error").mockImplementation(() => {})
    const app = withResend()
    const background: Array<Promise<unknown>> = []
    const ask = (address: string) =>
      app.handler(new Request(`${origin}/api/auth/request-password-reset`, {
        method: "POST",
        headers: { origin, "content-type": "application/json", "cf-connecting-ip": freshIp() },
        body: JSON.stringify({ email: address })
      }), { waitUntil: (promise) => void background.push(promise) })
    const known = await ask(email)
    const unknown = await ask(newAddress())
    expect(known.status).toBe(200)
    expect(await known.text()).toBe(await unknown.text())
    await Promise.all(background)
    expect(JSON.stringify(logged(spy))).toContain("mail provider answered 401: API key is invalid")
    await app.dispose()
  })
})
