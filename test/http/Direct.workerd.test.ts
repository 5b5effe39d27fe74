import { env } from "cloudflare:test"
import { Duration, Either } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { makeWebHandler } from "../../src/http/App.js"
import { readConfig } from "../../src/http/Config.js"
import * as RateLimit from "../../src/http/RateLimit.js"
import { freshIp } from "./helpers.js"

const worker = "http://localhost:8787"
const app = "http://app.test:5173"
const config = { ...Either.getOrThrow(readConfig({ ...env, TRUSTED_ORIGINS: app })), baseURL: worker }

// The same worker twice over the same KV and D1: once with the direct routes, once without.
const direct = makeWebHandler(config)
const routed = makeWebHandler({ ...config, direct: false })
afterAll(() => Promise.all([direct.dispose(), routed.dispose()]))

let token = ""
let signed = ""

beforeAll(async () => {
  const response = await routed.handler(
    new Request(`${worker}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { origin: worker, "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ email: `direct-${crypto.randomUUID()}@example.com`, password: "correct-horse-battery", name: "Direct" })
    })
  )
  expect(response.status).toBe(200)
  token = ((await response.json()) as { token: string }).token
  signed = response.headers.get("set-auth-token")!
})

type AuthInit = { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string }

/**
 * Status, headers (`Date` and `Content-Length` aside) and body of an answer to `path`, sent with
 * the request id `ray`, from a client address of its own, so two handlers see the same counts.
 */
const authAnswerWith = async (ray: string, handler: (request: Request) => Promise<Response>, path: string, init: AuthInit) => {
  const response = await handler(
    new Request(`${worker}${path}`, {
      method: init.method ?? "GET",
      headers: { "cf-ray": ray, "cf-connecting-ip": freshIp(), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body })
    })
  )
  const { "content-length": _length, date: _date, ...headers } = Object.fromEntries(response.headers)
  return { status: response.status, headers, body: await response.text() }
}

/** What `run` returned, and the worker's JSON log lines written meanwhile. */
const jsonLogsOf = async <A>(run: () => Promise<A>): Promise<{ readonly value: A; readonly lines: Array<Record<string, unknown>> }> => {
  const lines: Array<Record<string, unknown>> = []
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    try {
      lines.push(JSON.parse(String(line)) as Record<string, unknown>)
    } catch {
      // not one of ours
    }
  })
  try {
    return { value: await run(), lines }
  } finally {
    spy.mockRestore()
  }
}

/**
 * Status, headers and body, with the request id given (`CF-Ray`) so both answers carry the same.
 * `Content-Length` aside: the platform writes it, workerd writes it on the wire for both.
 */
const answer = async (handler: typeof direct.handler, path: string, headers: Record<string, string>) => {
  const response = await handler(new Request(`${worker}${path}`, { headers: { "cf-ray": "direct-test-1", ...headers } }))
  const { "content-length": _length, ...rest } = Object.fromEntries(response.headers)
  return { status: response.status, headers: rest, body: await response.text() }
}

describe("direct routes", () => {
  it("cover the plain GET endpoints of the API, and nothing a rate-limit rule counts", () => {
    expect([...direct.directPaths].sort()).toEqual(["/api/actions/analytics-summary", "/api/actions/sign-in-methods", "/api/me", "/health"])
    expect(routed.directPaths).toEqual([])
    const limited = makeWebHandler({
      ...config,
      rateLimits: RateLimit.RateLimitRules.layer({
        rules: [{ name: "health", paths: ["/health"], policy: { limit: 5, window: Duration.seconds(60) }, onFailure: "open" }]
      })
    })
    expect(limited.directPaths).not.toContain("/health")
    return limited.dispose()
  })

  const cases: ReadonlyArray<[string, string, (tokens: { token: string; signed: string }) => Record<string, string>]> = [
    ["health", "/health", () => ({})],
    ["health, from a trusted origin", "/health", () => ({ origin: app })],
    ["health, from an untrusted origin", "/health", () => ({ origin: "https://evil.example" })],
    ["health, with a query", "/health?x=1&x=2", () => ({})],
    ["me", "/api/me", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["me, from a trusted origin", "/api/me", ({ token }) => ({ authorization: `Bearer ${token}`, origin: app })],
    ["me, with the signed token", "/api/me", ({ signed }) => ({ authorization: `bearer ${signed}` })],
    ["me, without a token", "/api/me", () => ({})],
    ["me, with a malformed header", "/api/me", () => ({ authorization: "Basic abc" })],
    ["me, with an unknown token", "/api/me", () => ({ authorization: `Bearer ${"x".repeat(32)}` })],
    ["me, with a forged signature", "/api/me", ({ token }) => ({ authorization: `Bearer ${token}.${"A".repeat(43)}=` })],
    ["an action", "/api/actions/analytics-summary?days=7", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, its default", "/api/actions/analytics-summary", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, an extra parameter", "/api/actions/analytics-summary?days=3&other=1", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, a bad parameter", "/api/actions/analytics-summary?days=abc", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, out of range", "/api/actions/analytics-summary?days=0", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, a repeated parameter", "/api/actions/analytics-summary?days=7&days=8", ({ token }) => ({ authorization: `Bearer ${token}` })],
    ["an action, without a token and with a bad parameter", "/api/actions/analytics-summary?days=abc", () => ({})],
    ["another action", "/api/actions/sign-in-methods", ({ token }) => ({ authorization: `Bearer ${token}` })]
  ]

  it.each(cases)("answer %s exactly as the router does", async (_name, path, headers) => {
    const given = headers({ token, signed })
    // The routed answer first: a cached action's entry is then the same for both.
    const viaRouter = await answer(routed.handler, path, given)
    const viaDirect = await answer(direct.handler, path, given)
    expect(viaDirect).toEqual(viaRouter)
  })

  it("leave other spellings and methods to the router, which answers them as before", async () => {
    for (const [path, method] of [["/health/", "GET"], ["/HEALTH", "GET"], ["//health", "GET"], ["/health", "HEAD"], ["/health", "POST"]] as const) {
      const send = (handler: typeof direct.handler) => handler(new Request(`${worker}${path}`, { method, headers: { "cf-ray": "direct-test-2" } }))
      const [a, b] = [await send(direct.handler), await send(routed.handler)]
      expect({ path, method, status: a.status, body: await a.text() }).toEqual({ path, method, status: b.status, body: await b.text() })
    }
  })

  describe("Better Auth's routes, answered as plain promise code", () => {
    const authAnswer = (handler: typeof direct.handler, path: string, init: AuthInit) => authAnswerWith("direct-test-3", handler, path, init)

    const authCases: ReadonlyArray<[string, string, () => AuthInit]> = [
      ["get-session", "/api/auth/get-session", () => ({ headers: { authorization: `Bearer ${token}` } })],
      ["get-session, from a trusted origin", "/api/auth/get-session", () => ({ headers: { authorization: `Bearer ${token}`, origin: app } })],
      ["get-session, from an untrusted origin", "/api/auth/get-session", () => ({ headers: { authorization: `Bearer ${token}`, origin: "https://evil.example" } })],
      ["get-session, signed token", "/api/auth/get-session", () => ({ headers: { authorization: `Bearer ${signed}` } })],
      ["get-session, without a token", "/api/auth/get-session", () => ({})],
      ["get-session, HEAD", "/api/auth/get-session", () => ({ method: "HEAD", headers: { authorization: `Bearer ${token}` } })],
      ["an unknown route", "/api/auth/no-such-route", () => ({})],
      ["a preflight", "/api/auth/sign-in/email", () => ({ method: "OPTIONS", headers: { origin: app, "access-control-request-method": "POST" } })],
      ["a wrong password", "/api/auth/sign-in/email", () => ({
        method: "POST",
        headers: { origin: worker, "content-type": "application/json" },
        body: JSON.stringify({ email: "nobody-direct@example.com", password: "not-the-password" })
      })],
      ["a body that is not JSON", "/api/auth/sign-in/email", () => ({
        method: "POST",
        headers: { origin: worker, "content-type": "application/json" },
        body: "{not json"
      })]
    ]

    /**
     * `t=` in `RateLimit` counts the seconds left in a window aligned to the wall clock, so two
     * requests a moment apart can straddle a second: the two answers may differ by one there, and
     * only there.
     */
    const sameWindowSeconds = (before: Record<string, string>, after: Record<string, string>) => {
      const seconds = (value: string | undefined) => [...(value ?? "").matchAll(/;t=(\d+)/g)].map((m) => Number(m[1]))
      const [b, a] = [seconds(before["ratelimit"]), seconds(after["ratelimit"])]
      expect(a.length).toBe(b.length)
      a.forEach((t, i) => expect(Math.abs(t - b[i]!)).toBeLessThanOrEqual(1))
      if (after["ratelimit"] !== undefined) after["ratelimit"] = after["ratelimit"].replace(/;t=\d+/g, "")
      if (before["ratelimit"] !== undefined) before["ratelimit"] = before["ratelimit"].replace(/;t=\d+/g, "")
    }

    it.each(authCases)("answer %s exactly as before", async (_name, path, init) => {
      const before = await authAnswer(routed.handler, path, init())
      const after = await authAnswer(direct.handler, path, init())
      sameWindowSeconds(before.headers, after.headers)
      // A wrong password counts against the account: the second attempt has one place fewer.
      if (before.headers["ratelimit"] !== undefined && path.endsWith("/sign-in/email")) {
        expect(after.headers["ratelimit"]).toBe(
          before.headers["ratelimit"].replace(/"(password-account)";r=(\d+)/g, (_, name, r) => `"${name}";r=${Number(r) - 1}`)
        )
        after.headers["ratelimit"] = before.headers["ratelimit"]
      }
      expect(after).toEqual(before)
    })

    it("log a refusal alike, with the request's id", async () => {
      const refusedLog = async (handler: typeof direct.handler, ray: string) => {
        const ip = freshIp()
        const { lines } = await jsonLogsOf(async () => {
          for (let i = 0; i < 4; i++) {
            await handler(
              new Request(`${worker}/api/auth/sign-up/email`, {
                method: "POST",
                headers: { "cf-ray": ray, "cf-connecting-ip": ip, origin: worker, "content-type": "application/json" },
                body: JSON.stringify({ email: "not-an-email", password: "x", name: "x" })
              })
            )
          }
        })
        return lines.filter((line) => JSON.stringify(line["message"]).includes("rate limited"))
          .map(({ annotations, logLevel, message }) => ({ annotations, logLevel, rule: (message as Array<{ rule?: string }>)[1]?.rule }))
      }
      const expected = (ray: string) => [{ annotations: { requestId: ray }, logLevel: "INFO", rule: "sign-up" }]
      expect(await refusedLog(routed.handler, "1a2b3c4d5e6f7a81-AMS")).toEqual(expected("1a2b3c4d5e6f7a81-AMS"))
      expect(await refusedLog(direct.handler, "1a2b3c4d5e6f7a82-AMS")).toEqual(expected("1a2b3c4d5e6f7a82-AMS"))
    })

    it("refuse a spent bucket alike", async () => {
      // Each worker counts its own burst (KV counters are per isolate between reads; see RateLimiterKv).
      const fourthSignUp = async (handler: typeof direct.handler) => {
        const ip = freshIp()
        const signUp = () =>
          handler(
            new Request(`${worker}/api/auth/sign-up/email`, {
              method: "POST",
              headers: { "cf-ray": "direct-test-4", "cf-connecting-ip": ip, origin: worker, "content-type": "application/json" },
              body: JSON.stringify({ email: "not-an-email", password: "x", name: "x" })
            })
          )
        for (let i = 0; i < 3; i++) expect((await signUp()).status).toBe(400)
        const refused = await signUp()
        return { status: refused.status, body: await refused.text(), names: [...refused.headers.keys()].sort() }
      }
      const before = await fourthSignUp(routed.handler)
      expect(before.status).toBe(429)
      expect(await fourthSignUp(direct.handler)).toEqual(before)
    })
  })
})

describe("Better Auth's routes when KV is unavailable: the plain path answers and logs as the Effect path", () => {
  /** A KV namespace whose every call rejects as an unreachable KV does. */
  const unreachableKv = new Proxy({} as KVNamespace, {
    get: () => () => Promise.reject(new Error("KV GET failed: 503 Service Unavailable"))
  })
  const plain = makeWebHandler({ ...config, kv: unreachableKv })
  const effect = makeWebHandler({ ...config, kv: unreachableKv, direct: false })
  afterAll(() => Promise.all([plain.dispose(), effect.dispose()]))

  /** The answer, and the log lines written while it was made: level, first word, request id. */
  const answerAndLog = async (handler: typeof plain.handler, path: string, init: AuthInit) => {
    const { lines, value } = await jsonLogsOf(() => authAnswerWith("5e6f7a8b9c0d1e2f-AMS", handler, path, init))
    return {
      ...value,
      logged: lines.map(({ annotations, logLevel, message }) => ({ annotations, logLevel, message: (message as Array<unknown>)[0] }))
    }
  }

  const cases: ReadonlyArray<[string, string, AuthInit, number]> = [
    // The "auth" rule fails open: Better Auth is reached, and cannot read the session.
    ["get-session", "/api/auth/get-session", { headers: { authorization: "Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345" } }, 503],
    // Better Auth routes no HEAD: its 404 (the limiter, failing open, still logged its warning).
    ["get-session, HEAD", "/api/auth/get-session", { method: "HEAD", headers: { authorization: "Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345" } }, 404],
    // The sign-in rule fails closed: refused before Better Auth.
    ["a sign-in", "/api/auth/sign-in/email", {
      method: "POST",
      headers: { origin: worker, "content-type": "application/json" },
      body: JSON.stringify({ email: "nobody-direct@example.com", password: "not-the-password" })
    }, 503]
  ]

  it.each(cases)("%s", async (_name, path, init, status) => {
    const before = await answerAndLog(effect.handler, path, init)
    const after = await answerAndLog(plain.handler, path, init)
    expect(before.status).toBe(status)
    expect(before.logged.length).toBeGreaterThan(0)
    for (const line of before.logged) expect(line.annotations).toEqual({ requestId: "5e6f7a8b9c0d1e2f-AMS" })
    expect(after).toEqual(before)
  })
})
