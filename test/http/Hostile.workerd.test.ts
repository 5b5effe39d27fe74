import { describe, expect, it } from "vitest"
import { call, origin, postJson, signUp } from "./helpers.js"

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
  const routes = ["/health", "/api/me", "/api/actions/analytics-summary", "/openapi.json", "/metrics", "/api/auth/get-session", "/api/auth/sign-in/email", "/api/auth/sign-up/email", "/api/auth/sign-out"]
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
