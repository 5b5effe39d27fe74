import { env } from "cloudflare:test"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import * as Passkeys from "../../src/layers/Passkeys.js"
import { readConfig } from "../../src/http/Config.js"
import { awayFromWindowEdge, call, freshIp, me, origin, postJson, signUp } from "./helpers.js"
import { rawToken, sessionTtl } from "./outbox.js"
import { browser, challengeCookie, register, signInWith } from "./passkeys.js"
import * as Authenticator from "./webauthn.js"

// Each ceremony is several requests and WebCrypto work: more than the default 5 s on a busy machine.
describe("passkeys, with a software authenticator", { timeout: 30_000 }, () => {
  it("register while signed in, sign out, sign in with the passkey: Bearer works and session:<token> lives 7 days in KV", async () => {
    const { email, token, userId } = await signUp("passkey")
    const { credential, verified } = await register(token)
    expect(verified.status).toBe(200)
    expect(await verified.json()).toMatchObject({ userId, name: "test key", credentialID: Authenticator.b64url(credential.id) })

    expect((await postJson("/api/auth/sign-out", {}, { authorization: `Bearer ${token}` })).status).toBe(200)
    expect((await me(`Bearer ${token}`)).status).toBe(401)

    const { answer } = await signInWith(credential)
    expect(answer.status).toBe(200)
    const bearer = answer.headers.get("set-auth-token")!
    expect(bearer).toBeTruthy()
    const body = (await answer.json()) as { session: { token: string }; user: { id: string } }
    expect(body.user.id).toBe(userId)
    expect(rawToken(bearer)).toBe(body.session.token)
    expect(await (await me(`Bearer ${bearer}`)).json()).toMatchObject({ user: { id: userId, email } })
    const ttl = await sessionTtl(env.KV, body.session.token)
    expect(ttl).toBeGreaterThan(7 * 86400 - 120)
    expect(ttl).toBeLessThanOrEqual(7 * 86400 + 1)

    // The passkey table is in D1.
    expect(await env.DB.prepare(`select count(*) as n from passkey where "userId" = ?1`).bind(userId).first("n")).toBe(1)
  })

  it("registering needs a session", async () => {
    const options = await call("/api/auth/passkey/generate-register-options")
    expect(options.status).toBe(401)
  })

  it("a registration signed for another origin or relying party is refused", async () => {
    const { email, token } = await signUp("passkey-phish")
    for (const authenticator of [{ origin: "https://evil.example" }, { origin, rpId: "evil.example" }]) {
      const { verified } = await register(token, authenticator)
      expect(verified.status).toBe(400)
      expect(await verified.json()).toMatchObject({ code: "FAILED_TO_VERIFY_REGISTRATION" })
    }
    expect(await env.DB.prepare(`select count(*) as n from passkey where "userId" = (select id from "user" where email = ?1)`)
      .bind(email).first("n")).toBe(0)
  })

  it("a registration that passed verification but could not be stored is the server's failure: 503, not 400", async () => {
    const { token } = await signUp("passkey-d1-fails")
    const failingDb = new Proxy(env.DB, {
      get: (target, name) =>
        name === "prepare"
          ? (sql: string) =>
            /insert into "passkey"/i.test(sql) ? { bind: () => ({ all: () => Promise.reject(new Error("D1_ERROR: disk full")), run: () => Promise.reject(new Error("D1_ERROR: disk full")), raw: () => Promise.reject(new Error("D1_ERROR: disk full")), first: () => Promise.reject(new Error("D1_ERROR: disk full")) }) } : target.prepare(sql)
          : Reflect.get(target, name).bind(target)
    })
    const app = appOf({ ...Either.getOrThrow(readConfig(env)), db: failingDb, betterAuth: { load: Passkeys.load } })
    const send = (path: string, init: RequestInit = {}) =>
      app.handler(new Request(`${origin}${path}`, { ...init, headers: { origin, "cf-connecting-ip": "198.51.100.7", authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } }))
    const options = await send("/api/auth/passkey/generate-register-options")
    expect(options.status).toBe(200)
    const { response } = await Authenticator.create(await options.json(), browser)
    const verified = await send("/api/auth/passkey/verify-registration", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: challengeCookie(options) },
      body: JSON.stringify({ response })
    })
    expect(verified.status).toBe(503)
    await app.dispose()
  })

  it("a sign-in that passed verification but could not store its session is the server's failure: 503, not 400", async () => {
    const { token } = await signUp("passkey-kv-fails")
    const { credential } = await register(token)
    // KV refuses to store sessions (and only them).
    const readOnlyKv = new Proxy(env.KV, {
      get: (target, name) =>
        name === "put"
          ? (key: string, value: string, options?: KVNamespacePutOptions) =>
            key.startsWith("session:") ? Promise.reject(new Error("KV PUT failed: 503 Service Unavailable")) : target.put(key, value, options)
          : Reflect.get(target, name).bind(target)
    })
    const app = appOf({
      ...Either.getOrThrow(readConfig(env)),
      kv: readOnlyKv,
      rateLimits: { rules: [], trustForwardedFor: false },
      betterAuth: { load: Passkeys.load }
    })
    const send = (path: string, init: RequestInit = {}) =>
      app.handler(new Request(`${origin}${path}`, { ...init, headers: { origin, "cf-connecting-ip": freshIp(), ...(init.headers as Record<string, string>) } }))
    const options = await send("/api/auth/passkey/generate-authenticate-options")
    expect(options.status).toBe(200)
    const response = await Authenticator.get(credential, await options.json(), browser)
    const answer = await send("/api/auth/passkey/verify-authentication", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: challengeCookie(options) },
      body: JSON.stringify({ response })
    })
    expect(answer.status).toBe(503)
    expect(answer.headers.get("set-auth-token")).toBeNull()
    await app.dispose()
  })

  it("a credential id already registered cannot be registered again, by its owner or anyone else", async () => {
    const victim = await signUp("passkey-victim")
    const { credential } = await register(victim.token)
    for (const user of [await signUp("passkey-shadow"), victim]) {
      const { verified } = await register(user.token, { origin, credentialId: credential.id })
      expect(verified.status).toBe(400)
      expect(await verified.json()).toMatchObject({ code: "PASSKEY_ALREADY_REGISTERED" })
    }
    expect(await env.DB.prepare(`select count(*) as n from passkey where "credentialID" = ?1`).bind(Authenticator.b64url(credential.id)).first("n")).toBe(1)
    expect((await signInWith(credential)).answer.status).toBe(200)
  })

  it("a sign-in is refused when signed by another key, from another origin, or for another relying party", async () => {
    const { token } = await signUp("passkey-hostile")
    const { credential } = await register(token)
    const attacker = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair
    const forged = await signInWith(credential, browser, attacker.privateKey)
    expect(forged.answer.status).toBe(401)
    expect(forged.answer.headers.get("set-auth-token")).toBeNull()
    expect((await signInWith(credential, { origin: "https://evil.example" })).answer.status).toBe(400)
    expect((await signInWith(credential, { origin, rpId: "evil.example" })).answer.status).toBe(400)
    // The genuine key still works afterwards.
    expect((await signInWith(credential)).answer.status).toBe(200)
  })

  it("an assertion cannot be replayed, and a cloned authenticator (counter not increasing) is refused", async () => {
    const { token } = await signUp("passkey-replay")
    const { credential } = await register(token)
    const first = await signInWith(credential)
    expect(first.answer.status).toBe(200)
    // The same response and challenge cookie again: the challenge was consumed.
    const replay = await postJson("/api/auth/passkey/verify-authentication", { response: first.response }, { cookie: first.cookie })
    expect(replay.status).toBe(400)
    expect(replay.headers.get("set-auth-token")).toBeNull()
    // A copy of the authenticator reports a counter already seen.
    credential.counter -= 1
    const cloned = await signInWith(credential)
    expect(cloned.answer.status).toBe(400)
  })

  it("an unknown credential signs nobody in", async () => {
    const { credential } = await Authenticator.create({ challenge: "x", rp: { id: "localhost" } }, browser)
    const { answer } = await signInWith(credential)
    expect(answer.status).toBe(401)
    expect(answer.headers.get("set-auth-token")).toBeNull()
  })

  it("passkey routes are rate limited per client address", async () => {
    await awayFromWindowEdge()
    const ip = freshIp()
    const statuses: Array<number> = []
    for (let i = 0; i < 21; i++) {
      statuses.push((await call("/api/auth/passkey/generate-authenticate-options", { headers: { "cf-connecting-ip": ip } })).status)
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true)
    expect(statuses[20]).toBe(429)
  })
})
