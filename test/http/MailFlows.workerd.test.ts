import { env } from "cloudflare:test"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { awayFromWindowEdge, call, freshIp, me, origin, postJson, signUp } from "./helpers.js"
import { mailTo, pathOf, rawToken, sessionTtl } from "./outbox.js"

const password = "correct-horse-battery"
const signIn = (email: string, pass = password) => postJson("/api/auth/sign-in/email", { email, password: pass })

describe("password reset through the Mailer", { timeout: 30_000 }, () => {
  it("request, mail, link, new password: old sessions end, the old password stops working, the new one signs in", async () => {
    const { email, token } = await signUp("reset")
    const asked = await postJson("/api/auth/request-password-reset", { email, redirectTo: "/reset" })
    expect(asked.status).toBe(200)
    const [mail, ...others] = await mailTo(email)
    expect(others).toEqual([])
    expect(mail!.subject).toBe("Reset your edge-auth-state password")
    const link = mail!.links[0]!
    expect(link).toMatch(/^http:\/\/localhost:8787\/api\/auth\/reset-password\/[A-Za-z0-9]+\?callbackURL=%2Freset$/)

    // The link leads to the app's page with the token; the page posts the new password.
    const followed = await call(pathOf(link), { redirect: "manual" })
    expect(followed.status).toBe(302)
    const resetToken = new URL(followed.headers.get("location")!).searchParams.get("token")!
    expect(link).toContain(resetToken)
    expect(await env.KV.get(`auth:verification:reset-password:${resetToken}`)).not.toBeNull()
    const reset = await postJson("/api/auth/reset-password", { newPassword: "a-brand-new-password", token: resetToken })
    expect(reset.status).toBe(200)

    expect((await me(`Bearer ${token}`)).status).toBe(401)
    expect((await signIn(email)).status).toBe(401)
    const fresh = await signIn(email, "a-brand-new-password")
    expect(fresh.status).toBe(200)
    const { token: newToken } = (await fresh.json()) as { token: string }
    expect(await sessionTtl(env.KV, newToken)).toBeGreaterThan(7 * 86400 - 120)

    // The token works once.
    expect((await postJson("/api/auth/reset-password", { newPassword: "yet-another-password", token: resetToken })).status).toBe(400)
    expect(await env.KV.get(`auth:verification:reset-password:${resetToken}`)).toBeNull()
  })

  it("an unknown address gets the same answer and no mail", async () => {
    const { email } = await signUp("reset-known")
    const unknownEmail = `nobody-${crypto.randomUUID()}@example.com`
    const known = await postJson("/api/auth/request-password-reset", { email })
    const unknown = await postJson("/api/auth/request-password-reset", { email: unknownEmail })
    expect(unknown.status).toBe(known.status)
    expect(await unknown.text()).toBe(await known.text())
    expect(await mailTo(unknownEmail)).toEqual([])
    expect(await mailTo(email)).toHaveLength(1)
  })

  it("reset requests keep the mailbox's limit: once its five a minute are spent (the sign-up took one), nothing is sent", async () => {
    await awayFromWindowEdge()
    const { email } = await signUp("reset-limit")
    const statuses: Array<number> = []
    for (let i = 0; i < 5; i++) statuses.push((await postJson("/api/auth/request-password-reset", { email })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 429])
    expect(await mailTo(email)).toHaveLength(4)
  })
})

describe("email verification through the Mailer", { timeout: 30_000 }, () => {
  it("on request: the mail's link verifies the address and signs in (session in KV)", async () => {
    const { email, token } = await signUp("verify")
    expect(await (await me(`Bearer ${token}`)).json()).toMatchObject({ user: { emailVerified: false } })
    expect((await postJson("/api/auth/send-verification-email", { email }, { authorization: `Bearer ${token}` })).status).toBe(200)
    const [mail] = await mailTo(email)
    expect(mail!.subject).toBe("Confirm your email address for edge-auth-state")
    const followed = await call(pathOf(mail!.links[0]!), { redirect: "manual" })
    expect(followed.status).toBe(302)
    const bearer = followed.headers.get("set-auth-token")!
    expect(bearer).toBeTruthy()
    expect(await (await me(`Bearer ${bearer}`)).json()).toMatchObject({ user: { email, emailVerified: true } })
    expect(await sessionTtl(env.KV, rawToken(bearer))).toBeGreaterThan(7 * 86400 - 120)
    // The link is not a reusable sign-in link: once the address is verified it signs nobody in.
    const again = await call(pathOf(mail!.links[0]!), { redirect: "manual" })
    expect(again.headers.get("set-auth-token")).toBeNull()
  })

  it("a tampered verification link verifies nothing", async () => {
    const { email, token } = await signUp("verify-tamper")
    await postJson("/api/auth/send-verification-email", { email }, { authorization: `Bearer ${token}` })
    const [mail] = await mailTo(email)
    const url = new URL(mail!.links[0]!)
    url.searchParams.set("token", url.searchParams.get("token")!.slice(0, -2) + "xx")
    const followed = await call(pathOf(url.toString()), { redirect: "manual" })
    expect(followed.headers.get("set-auth-token")).toBeNull()
    expect(await (await me(`Bearer ${token}`)).json()).toMatchObject({ user: { emailVerified: false } })
  })

  it("verification requests are limited per mailbox", async () => {
    await awayFromWindowEdge()
    const { email } = await signUp("verify-limit")
    const statuses: Array<number> = []
    for (let i = 0; i < 5; i++) statuses.push((await postJson("/api/auth/send-verification-email", { email })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 429])
  })

  it("EMAIL_VERIFICATION=required: sign-up mails a link, password sign-in is refused until it is followed", async () => {
    const app = appOf({ ...Either.getOrThrow(readConfig(env)), emailVerification: "required" })
    // Mail is sent after the answer: the requests' background work is awaited before the outbox is read.
    const background: Array<Promise<unknown>> = []
    const send = async (path: string, init: RequestInit = {}) => {
      const response = await app.handler(
        new Request(`${origin}${path}`, { ...init, headers: { origin, "cf-connecting-ip": freshIp(), ...(init.headers as Record<string, string>) } }),
        { waitUntil: (promise) => void background.push(promise) }
      )
      await Promise.all(background)
      return response
    }
    const post = (path: string, body: unknown) =>
      send(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    const email = `required-${crypto.randomUUID()}@example.com`
    const signedUp = await post("/api/auth/sign-up/email", { email, password, name: "R" })
    expect(signedUp.status).toBe(200)
    expect(await signedUp.json()).toMatchObject({ token: null })
    const refused = await post("/api/auth/sign-in/email", { email, password })
    expect(refused.status).toBe(403)
    const mails = await mailTo(email, send)
    expect(mails.length).toBeGreaterThanOrEqual(1)
    const followed = await send(pathOf(mails.at(-1)!.links[0]!), { redirect: "manual" })
    expect(followed.headers.get("set-auth-token")).toBeTruthy()
    expect((await post("/api/auth/sign-in/email", { email, password })).status).toBe(200)
    await app.dispose()
  })
})
