import { env } from "cloudflare:test"
import { Either } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { awayFromWindowEdge, freshIp } from "./helpers.js"

const app = "http://app.test:5173"
const { dispose, handler } = appOf({
  ...Either.getOrThrow(readConfig({ ...env, TRUSTED_ORIGINS: `${app},https://*.example.net` })),
  // The pool's wrangler.toml says http://localhost:8787; these requests go to another host and port.
  baseURL: "http://localhost:8787"
})
afterAll(dispose)

/** The worker as a browser reaches it on a port of its own. */
const worker = "http://127.0.0.1:8811"

const send = (path: string, init: RequestInit & { readonly headers?: Record<string, string> } = {}) =>
  handler(new Request(`${worker}${path}`, { ...init, headers: { "cf-connecting-ip": freshIp(), ...init.headers } }))

const preflight = (path: string, origin: string | undefined, headers: Record<string, string> = {}) =>
  send(path, {
    method: "OPTIONS",
    headers: {
      ...(origin === undefined ? {} : { origin }),
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
      ...headers
    }
  })

const corsHeaders = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")))

const signIn = (origin: string) =>
  send("/api/auth/sign-in/email", {
    method: "POST",
    headers: { origin, "content-type": "application/json" },
    body: JSON.stringify({ email: `nobody-${crypto.randomUUID()}@example.com`, password: "not-the-password" })
  })

const routes = ["/api/auth/sign-in/email", "/api/auth/get-session", "/api/me", "/api/actions/analytics-summary?days=7", "/api/nowhere"]
const trusted = [app, "https://a.example.net", "https://a.b.example.net", "http://localhost:8787", worker]
const untrusted = [
  "https://evil.test",
  "http://app.test:5174",
  "https://app.test:5173",
  "http://app.test:5173.evil.test",
  "https://example.net",
  "https://a.example.net.evil.test",
  "http://127.0.0.1:8812",
  "http://localhost:8811",
  "null"
]

describe("CORS for trusted origins", () => {
  it("answers a trusted origin's preflight on every /api route: 204, the origin echoed, methods, headers, max age", async () => {
    for (const path of routes) {
      for (const origin of trusted) {
        const response = await preflight(path, origin)
        expect([path, origin, response.status]).toEqual([path, origin, 204])
        expect(corsHeaders(response)).toMatchObject({
          "access-control-allow-origin": origin,
          "access-control-allow-methods": expect.stringContaining("POST"),
          "access-control-max-age": "600"
        })
        const allowed = response.headers.get("access-control-allow-headers")!.toLowerCase().split(/\s*,\s*/)
        expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]))
        expect(response.headers.get("vary")).toMatch(/origin/i)
        expect(response.headers.get("access-control-allow-credentials")).toBeNull()
      }
    }
  })

  it("gives untrusted, lookalike and null origins, and requests without one, no CORS header at all", async () => {
    for (const path of routes) {
      for (const origin of [...untrusted, undefined]) {
        const response = await preflight(path, origin)
        expect([path, origin, response.status, corsHeaders(response)]).toEqual([path, origin, 204, {}])
      }
    }
    for (const origin of untrusted) {
      const me = await send("/api/me", { headers: { origin } })
      expect([origin, me.status, corsHeaders(me)]).toEqual([origin, 401, {}])
    }
  })

  it("lets a page read the answer, the token, the request id and the rate-limit headers", async () => {
    const email = `cors-${crypto.randomUUID()}@example.com`
    const signUp = await send("/api/auth/sign-up/email", {
      method: "POST",
      headers: { origin: app, "content-type": "application/json" },
      body: JSON.stringify({ email, password: "correct-horse-battery", name: "Cors" })
    })
    expect(signUp.status).toBe(200)
    expect(signUp.headers.get("access-control-allow-origin")).toBe(app)
    expect(signUp.headers.get("ratelimit")).toMatch(/"sign-up"/)
    const signIn = await send("/api/auth/sign-in/email", {
      method: "POST",
      headers: { origin: app, "content-type": "application/json" },
      body: JSON.stringify({ email, password: "correct-horse-battery" })
    })
    expect(signIn.status).toBe(200)
    expect(signIn.headers.get("access-control-allow-origin")).toBe(app)
    expect(signIn.headers.get("vary")).toMatch(/origin/i)
    expect(signIn.headers.get("set-auth-token")).toBeTruthy()
    expect(signIn.headers.get("ratelimit")).toMatch(/"sign-in"/)
    expect(signIn.headers.get("access-control-expose-headers")!.split(",")).toEqual(
      ["set-auth-token", "x-request-id", "ratelimit", "ratelimit-policy", "retry-after"]
    )
    const me = await send("/api/me", { headers: { origin: app, authorization: `Bearer ${signIn.headers.get("set-auth-token")}` } })
    expect(me.status).toBe(200)
    expect(me.headers.get("access-control-allow-origin")).toBe(app)
    expect(me.headers.get("access-control-expose-headers")).toContain("x-request-id")
    const missing = await send("/api/me", { headers: { origin: app } })
    expect([missing.status, missing.headers.get("access-control-allow-origin")]).toEqual([401, app])
  })

  it("a 429 carries CORS too, so the page can read Retry-After", async () => {
    await awayFromWindowEdge()
    const ip = freshIp()
    let last: Response | undefined
    for (let i = 0; i < 4; i++) {
      last = await send("/api/auth/sign-up/email", {
        method: "POST",
        headers: { origin: app, "content-type": "application/json", "cf-connecting-ip": ip },
        body: "{}"
      })
    }
    expect(last!.status).toBe(429)
    expect(last!.headers.get("access-control-allow-origin")).toBe(app)
    expect(last!.headers.get("retry-after")).toBeTruthy()
    expect(last!.headers.get("access-control-expose-headers")).toContain("retry-after")
  })

  it("a body over the cap is a 413 the page can read, on Better Auth's routes and ours; an untrusted page still gets no CORS", async () => {
    for (const path of ["/api/auth/sign-in/email", "/api/actions/analytics-summary"]) {
      for (const origin of [app, "https://evil.test"]) {
        const response = await send(path, {
          method: "POST",
          headers: { origin, "content-type": "application/json" },
          body: JSON.stringify({ email: "a@example.com", password: "x".repeat(70_000) })
        })
        expect([path, origin, response.status]).toEqual([path, origin, 413])
        expect(await response.json()).toMatchObject({ error: "Payload too large" })
        expect(response.headers.get("x-request-id")).toBeTruthy()
        expect(response.headers.get("access-control-allow-origin")).toBe(origin === app ? app : null)
      }
    }
  })
})

describe("preflights never count against a rate limit", () => {
  it("30 preflights to sign-in from one client, in every spelling and from any origin, leave its buckets untouched", async () => {
    await awayFromWindowEdge()
    const ip = freshIp()
    const spellings = ["/api/auth/sign-in/email", "/API/AUTH//sign-in/email/", "/api/auth/sign-in/%65mail", "/api/auth/sign-up/email"]
    for (let i = 0; i < 30; i++) {
      const origin = [app, "https://evil.test", undefined][i % 3]
      const response = await preflight(spellings[i % spellings.length]!, origin, { "cf-connecting-ip": ip })
      expect(response.status).toBe(204)
      expect(response.headers.get("ratelimit")).toBeNull()
    }
    const response = await send("/api/auth/sign-in/email", {
      method: "POST",
      headers: { origin: app, "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ email: `nobody-${crypto.randomUUID()}@example.com`, password: "not-the-password" })
    })
    expect(response.status).toBe(401)
    expect(response.headers.get("ratelimit")).toMatch(/"sign-in";r=4;/)
  })
})

describe("same origin", () => {
  it("a loopback worker trusts the loopback origin a request was sent to (development on any port), and the configured ones", async () => {
    for (const origin of trusted) {
      const response = await signIn(origin)
      expect([origin, response.status]).toEqual([origin, 401])
    }
  })

  it("and no other: lookalikes, other ports and schemes, null", async () => {
    for (const origin of untrusted) {
      const response = await signIn(origin)
      expect([origin, response.status, corsHeaders(response), await response.json()]).toEqual(
        [origin, 403, {}, expect.objectContaining({ code: expect.stringMatching(/ORIGIN/) })]
      )
    }
  })

  it("a host the client named is not trusted as its own origin: no CORS, and Better Auth refuses its page", async () => {
    const response = await handler(new Request("http://evil.test/api/auth/sign-in/email", {
      method: "POST",
      headers: { origin: "http://evil.test", "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ email: `nobody-${crypto.randomUUID()}@example.com`, password: "not-the-password" })
    }))
    expect([response.status, corsHeaders(response)]).toEqual([403, {}])
  })
})
