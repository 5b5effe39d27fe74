import { env } from "cloudflare:test"
import { Effect, Either, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { RateLimitRules } from "../../src/http/ratelimit/Rules.js"
import * as DatabaseD1 from "../../src/layers/DatabaseD1.js"
import * as KvBinding from "../../src/layers/KvBinding.js"
import * as SessionIndexD1 from "../../src/layers/SessionIndexD1.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import { awayFromWindowEdge, call, me, origin, passwordAttemptsLeft, postJson, signUp } from "./helpers.js"
import { mailTo, pathOf } from "./outbox.js"
import type { Encoding } from "./HostileAuth.js"
import { bearer, encode, password, signInAs } from "./HostileAuth.js"

const storeLayer = SessionStoreKv.layer.pipe(
  Layer.provide([KvBinding.layer(env.KV), SessionConfig.layer(), SessionIndexD1.layer.pipe(Layer.provide(DatabaseD1.layer(env.DB)))])
)

/** One more session of `email`, from a sign-in. */
const concurrentOne = async (email: string) => {
  const response = await signInAs(email, password)
  return [((await response.json()) as { token: string }).token]
}

/** Every answer to hostile input is a 4xx with a JSON body: never a 5xx, never HTML or empty. */
const expectJson4xx = async (response: Response) => {
  expect(response.status, `status ${response.status}`).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  expect(response.headers.get("content-type")).toMatch(/json/)
  await response.json()
}

describe("hostile input gets 4xx JSON, never 5xx", () => {
  it.each([
    ["Bearer"],
    ["Bearer \u00e9\u00e9"],
    ["Bearer " + "A".repeat(32) + "." + "%%%"],
    ["Bearer " + "%E0%A4%A".repeat(10)],
    ["Bearer " + "x".repeat(8 * 1024)],
    ["Bearer " + "A".repeat(32) + ".".repeat(50)],
    ["Negotiate abc"],
    [",,,,"],
    ["Bearer\tabc"]
  ])("garbled Authorization %#", async (authorization) => {
    await expectJson4xx(await call("/api/me", { headers: { authorization } }))
  })

  it("a huge header", async () => {
    await expectJson4xx(await call("/api/me", { headers: { authorization: `Bearer ${"a".repeat(60_000)}` } }))
    await expectJson4xx(await call("/api/me", { headers: { "x-junk": "j".repeat(60_000) } }))
  })

  it.each([
    ["/api/auth/sign-up/email", "{not json"],
    ["/api/auth/sign-in/email", "{not json"],
    ["/api/auth/sign-in/email", "[]"],
    ["/api/auth/sign-in/email", "null"],
    ["/api/auth/sign-in/email", JSON.stringify({ email: 42, password: [] })],
    ["/api/auth/sign-in/email", JSON.stringify({ email: "a@b.c" })],
    ["/api/auth/sign-up/email", JSON.stringify({ email: "not-an-email", password: "correct-horse-battery", name: "x" })],
    ["/api/auth/sign-up/email", JSON.stringify({ email: "a@b.c", password: "short", name: "x" })],
    ["/api/auth/sign-in/email", ""],
    ["/api/auth/sign-out", "{not json"]
  ])("invalid JSON body to %s (%#)", async (path, body) => {
    await expectJson4xx(await call(path, { method: "POST", headers: { "content-type": "application/json" }, body }))
  })

  it("a huge body", async () => {
    const body = JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * 1024 * 1024), name: "x" })
    await expectJson4xx(await call("/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "application/json" }, body }))
  })

  it("a wrong content type", async () => {
    await expectJson4xx(await call("/api/auth/sign-in/email", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }))
  })

  it.each([
    ["POST", "/api/me"],
    ["DELETE", "/api/me"],
    ["PUT", "/health"],
    ["GET", "/api/auth/sign-in/email"],
    ["DELETE", "/api/auth/sign-up/email"],
    ["PATCH", "/api/auth/sign-out"]
  ])("wrong method %s %s", async (method, path) => {
    await expectJson4xx(await call(path, { method }))
  })

  it.each([
    ["/nope"],
    ["/api/auth/unknown-endpoint"],
    ["/api/auth/%ZZ"],
    ["/api/%2e%2e/nope"],
    ["/api/me/extra"],
    ["//api//me"],
    ["/api/auth/"],
    ["/%00"],
    ["/" + "a".repeat(4000)]
  ])("odd path %s", async (path) => {
    await expectJson4xx(await call(path))
  })

  it("a valid token on a wrong method still gets 4xx JSON", async () => {
    const { token } = await signUp()
    await expectJson4xx(await call("/api/me", { method: "POST", headers: { authorization: `Bearer ${token}` } }))
  })

  it("sign-in with a wrong password is 401 JSON", async () => {
    const { email } = await signUp()
    await expectJson4xx(await postJson("/api/auth/sign-in/email", { email, password: "wrong-password-123" }))
    void origin
  })
})

describe("every route, every kind of hostile input: 4xx JSON or a normal answer, never 5xx", () => {
  const routes = ["/health", "/api/capabilities", "/api/me", "/api/actions/analytics-summary", "/openapi.json", "/metrics", "/api/auth/get-session", "/api/auth/sign-in/email", "/api/auth/sign-up/email", "/api/auth/sign-out"]
  const attacks: ReadonlyArray<[string, (path: string) => RequestInit & { path?: string }]> = [
    ["wrong method", () => ({ method: "PATCH" })],
    ["DELETE", () => ({ method: "DELETE" })],
    ["invalid JSON body", () => ({ method: "POST", headers: { "content-type": "application/json" }, body: "{\"a\":" })],
    ["huge body", () => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ x: "y".repeat(1_500_000) }) })],
    ["binary body", () => ({ method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array([0, 255, 1, 254]) })],
    ["form body", () => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "email=a&password=b" })],
    ["garbled authorization", () => ({ headers: { authorization: "Bearer \u00ff\u00fe" } })],
    ["oversized header", () => ({ headers: { "x-filler": "z".repeat(30_000) } })],
    ["odd query", (p) => ({ path: `${p}?days=%ZZ&days=1&__proto__=x` })],
    ["percent-encoded path", (p) => ({ path: "/" + p.slice(1).replace(/\//g, "%2F").replace(/a/g, "%61") })],
    ["double slashes and dots", (p) => ({ path: `//.${p}/./` })],
    ["upper case", (p) => ({ path: p.toUpperCase() })]
  ]
  for (const route of routes) {
    it.each(attacks)(`${route}: %s`, async (_name, make) => {
      const { path, ...init } = make(route)
      const response = await call(path ?? route, init)
      expect(response.status, `status ${response.status}`).toBeLessThan(500)
      if (response.status >= 400) {
        expect(response.headers.get("content-type")).toMatch(/json/)
        await response.json()
      } else {
        await response.arrayBuffer()
      }
    })
  }
})

describe("per-account limits hold whatever the body (1)", { timeout: 30_000 }, () => {
  it("wrong guesses from 7 addresses in 7 encodings: once the account's budget is spent, every encoding is refused", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    const encodings: ReadonlyArray<Encoding> = ["json-chunked", "form", "json-padded", "json-charset", "json-upper", "form", "json"]
    const statuses: Array<number> = []
    for (const [i, encoding] of encodings.entries()) {
      const who = i % 2 === 0 ? email : email.toUpperCase()
      statuses.push((await signInAs(who, "wrong-password-123", encoding)).status)
    }
    expect(statuses).toEqual([...Array(left).fill(401), ...Array(encodings.length - left).fill(429)])
    // Once the account is spent, the right password in another encoding is refused too.
    expect((await signInAs(email, password, "form")).status).toBe(429)
    expect((await signInAs(email, password, "json-chunked")).status).toBe(429)
  })

  it("what is counted is what Better Auth acts on: a form sign-in with the right password works", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    const response = await signInAs(email.toUpperCase(), password, "form")
    expect(response.status).toBe(200)
    expect(await passwordAttemptsLeft(email)).toBe(left - 1)
  })

  it("multipart is not a body Better Auth takes for sign-in: 415 JSON, never a password check", async () => {
    const { email } = await signUp()
    const response = await signInAs(email, password, "multipart")
    expect(response.status).toBe(415)
    expect(await response.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" })
  })

  it("password-reset requests count per mailbox in every encoding Better Auth takes for them", async () => {
    await awayFromWindowEdge()
    const { email } = await signUp()
    const statuses: Array<number> = []
    for (const encoding of ["form", "json-chunked", "json-upper", "json-charset", "json", "json", "json"] as const) {
      const { body, headers } = encode(encoding, { email: statuses.length % 2 ? email.toUpperCase() : email })
      const response = await call("/api/auth/request-password-reset", { method: "POST", headers, body })
      statuses.push(response.status)
    }
    // Better Auth takes only JSON here: a form body is refused before any attempt, and not counted.
    expect(statuses[0]).toBe(415)
    // The sign-up took one of the mailbox's five places a minute.
    expect(statuses.slice(1)).toEqual([200, 200, 200, 200, 429, 429])
  })
})

describe("only attempts count, and the owner keeps a way in (2)", { timeout: 30_000 }, () => {
  it("requests to a path Better Auth does not route cost the account nothing", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    for (const path of ["/api/auth/sign-in/does-not-exist", "/api/auth/sign-in/email/", "/API/auth/sign-in/email", "/api/auth/sign-in//email"]) {
      for (let i = 0; i < 2; i++) {
        const response = await signInAs(email, "wrong-password-123", "json", path)
        expect(response.status).toBe(404)
        expect(await response.json()).toMatchObject({ error: "Not found" })
      }
    }
    const owner = await signInAs(email, password)
    expect(owner.status).toBe(200)
    expect(await passwordAttemptsLeft(email)).toBe(left - 1)
  })

  it("the owner keeps a way in: with the password budget spent by wrong guesses, a magic link still signs the owner in", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    for (let i = 0; i < left; i++) expect((await signInAs(email, "wrong-password-123")).status).toBe(401)
    expect((await signInAs(email, password)).status).toBe(429)
    expect((await postJson("/api/auth/sign-in/magic-link", { email })).status).toBe(200)
    const link = (await mailTo(email))[0]!.links[0]!
    const followed = await call(pathOf(link), { redirect: "manual" })
    expect((await me(`Bearer ${followed.headers.get("set-auth-token")!}`)).status).toBe(200)
  })

  it("a concurrent burst of wrong guesses on one account from many addresses admits exactly what the budget has left", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    const responses = await Promise.all(Array.from({ length: 12 }, () => signInAs(email, "wrong-password-123")))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(left)
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - left)
  })
})

describe("routes that check the current password are limited per user (3)", { timeout: 30_000 }, () => {
  it.each([
    ["/api/auth/change-password", { currentPassword: "wrong-password-123", newPassword: "another-horse-battery" }],
    ["/api/auth/verify-password", { password: "wrong-password-123" }],
    ["/api/auth/delete-user", { password: "wrong-password-123" }]
  ])("%s: once the user's password budget is spent, the next guess is 429, from any address", async (path, body) => {
    await awayFromWindowEdge()
    const { left, token } = await signUp()
    const statuses: Array<number> = []
    for (let i = 0; i <= left; i++) statuses.push((await postJson(path, body, bearer(token))).status)
    expect(statuses.slice(0, left)).not.toContain(429)
    expect(statuses.slice(0, left).every((s) => s >= 400 && s < 500)).toBe(true)
    expect(statuses[left]).toBe(429)
  })
})

describe("bodies are bounded (4)", { timeout: 30_000 }, () => {
  const big = JSON.stringify({ email: "a@b.c", password: "x".repeat(70 * 1024) })

  it.each(["/api/auth/sign-in/email", "/api/auth/sign-up/email", "/api/actions/analytics-summary", "/api/me"])(
    "%s: a body over 64 KiB is 413 JSON, declared or chunked",
    async (path) => {
      const declared = await call(path, { method: "POST", headers: { "content-type": "application/json" }, body: big })
      expect(declared.status).toBe(413)
      expect(await declared.json()).toMatchObject({ error: "Payload too large" })
      const bytes = new TextEncoder().encode(big)
      const chunked = await call(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192))
            controller.close()
          }
        })
      })
      expect(chunked.status).toBe(413)
      expect(await chunked.json()).toMatchObject({ error: "Payload too large" })
    }
  )

  it("user fields over their bounds are 400 JSON, on sign-up and on update-user", async () => {
    const email = `long-${crypto.randomUUID()}@example.com`
    const long = await postJson("/api/auth/sign-up/email", { email, password, name: "n".repeat(257) })
    expect(long.status).toBe(400)
    expect(await long.json()).toMatchObject({ field: "name", max: 256 })
    const { token } = await signUp()
    const image = await postJson("/api/auth/update-user", { image: `https://example.com/${"i".repeat(2048)}` }, bearer(token))
    expect(image.status).toBe(400)
    expect(await image.json()).toMatchObject({ field: "image", max: 2048 })
    const name = await call("/api/auth/update-user", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "n".repeat(300) }).toString()
    })
    expect(name.status).toBeGreaterThanOrEqual(400)
    expect(name.status).toBeLessThan(500)
    const record = JSON.parse((await env.KV.get(`session:${token}`))!)
    expect(record.user.name.length).toBeLessThanOrEqual(256)
  })

  it("concurrent sign-ups of one email: one account, every answer alike, never a 5xx", async () => {
    const email = `race-${crypto.randomUUID()}@example.com`
    const responses = await Promise.all(Array.from({ length: 4 }, () => postJson("/api/auth/sign-up/email", { email, password, name: "R" })))
    // A sign-up of an address that has an account answers as one that had none; only two sign-ups
    // racing to create the same new account can tell (409 for the loser), which says nothing of an
    // account that existed before.
    for (const response of responses) expect([200, 409]).toContain(response.status)
    expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1)
    expect(await env.DB.prepare(`select count(*) as n from "user" where email = ?1`).bind(email).first("n")).toBe(1)
  })
})

describe("revocation is complete (5)", { timeout: 60_000 }, () => {
  /** The worker over the same KV and D1 with no rate limits: many sessions of one account at once. */
  const unlimited = appOf({ ...Either.getOrThrow(readConfig(env)), rateLimits: { rules: [], trustForwardedFor: false } })
  afterAll(unlimited.dispose)
  const signInUnlimited = (email: string, pass: string) =>
    unlimited.handler(new Request(`${origin}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ email, password: pass })
    }))

  /** `n` sign-ins to one account in concurrent bursts of 5. */
  const concurrentSignIns = async (email: string, n: number) => {
    const tokens: Array<string> = []
    while (tokens.length < n) {
      const burst = await Promise.all(Array.from({ length: Math.min(5, n - tokens.length) }, () => signInUnlimited(email, password)))
      for (const response of burst) {
        expect(response.status).toBe(200)
        tokens.push(((await response.json()) as { token: string }).token)
      }
    }
    return tokens
  }
  const getSession = async (token: string) => (await call("/api/auth/get-session", { headers: bearer(token) })).json()

  it("after 10 concurrent sign-ins list-sessions shows all 11; revoke-other-sessions ends every other one", async () => {
    const { email, token } = await signUp()
    const others = await concurrentSignIns(email, 10)
    const listed = (await (await call("/api/auth/list-sessions", { headers: bearer(token) })).json()) as Array<{ token: string }>
    expect(new Set(listed.map((s) => s.token))).toEqual(new Set([token, ...others]))

    const revoked = await postJson("/api/auth/revoke-other-sessions", {}, bearer(token))
    expect(revoked.status).toBe(200)
    for (const other of others) {
      expect((await me(`Bearer ${other}`)).status).toBe(401)
      expect(await getSession(other)).toBeNull()
      expect(await env.KV.get(`session:${other}`)).toBeNull()
    }
    expect((await me(`Bearer ${token}`)).status).toBe(200)
  })

  it("revoke-sessions ends all of them, ones Better Auth's KV list lost included", async () => {
    const { email, token } = await signUp()
    const others = await concurrentSignIns(email, 10)
    expect((await postJson("/api/auth/revoke-sessions", {}, bearer(token))).status).toBe(200)
    for (const t of [token, ...others]) {
      expect((await me(`Bearer ${t}`)).status).toBe(401)
      expect(await env.KV.get(`session:${t}`)).toBeNull()
    }
  })

  it("a stale copy written through Better Auth's storage after sign-out is refused and not re-stored", async () => {
    const { token } = await signUp()
    const stale = (await env.KV.get(`session:${token}`))!
    expect((await postJson("/api/auth/sign-out", {}, bearer(token))).status).toBe(200)
    expect(await env.KV.get(`session:${token}`)).toBeNull()
    // The worker's own session store over the same KV and D1, as Better Auth's get-session refresh
    // at a location that still served the old copy would use it.
    const store = await Effect.runPromise(Effect.provide(SessionStore, storeLayer))
    await Effect.runPromise(store.storage.set(token, stale, 3600))
    expect(await env.KV.get(`session:${token}`)).toBeNull()
    expect((await me(`Bearer ${token}`)).status).toBe(401)
    expect(await getSession(token)).toBeNull()
  })
})

describe("the Bearer path reads KV once when no refresh is due (6)", { timeout: 30_000 }, () => {
  it("a revoked session fails without the revoked-before mark being read: its key is gone", async () => {
    const { email, token } = await signUp()
    const [other] = await concurrentOne(email)
    expect((await postJson("/api/auth/revoke-sessions", {}, bearer(token))).status).toBe(200)
    expect(await env.KV.get(`session:${other!}`)).toBeNull()
    expect((await me(`Bearer ${other!}`)).status).toBe(401)
  })
})

describe("every error is JSON (7)", () => {
  it("a signed-in POST /api/auth/delete-user (disabled) is a 404 with a JSON body", async () => {
    const { token } = await signUp()
    const response = await postJson("/api/auth/delete-user", {}, bearer(token))
    expect(response.status).toBe(404)
    expect(response.headers.get("content-type")).toMatch(/json/)
    expect(await response.json()).toEqual({ error: "Not found" })
  })

  it("a magic link with an unknown token is not an error page: a redirect naming the error", async () => {
    const response = await call("/api/auth/magic-link/verify?token=x", { redirect: "manual" })
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get("location")!, origin).searchParams.get("error")).toBe("INVALID_TOKEN")
  })

  it.each([
    ["POST", "/api/auth/delete-user"],
    ["GET", "/api/auth/error?error=INVALID_TOKEN"],
    ["GET", "/api/auth/error"],
    ["POST", "/api/auth/sign-in/magic-link"],
    ["GET", "/api/auth/reference"],
    ["POST", "/api/auth/change-password"],
    ["GET", "/api/auth/list-sessions"]
  ])("%s %s", async (method, path) => {
    const response = await call(path, { method, ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}) })
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(response.headers.get("content-type")).toMatch(/json/)
    const body = (await response.json()) as Record<string, unknown>
    expect(typeof body.error === "string" || typeof body.message === "string").toBe(true)
  })
})
