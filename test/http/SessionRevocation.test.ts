// SESSION_REVOCATION=immediate through the app's own routes and middleware in Node (`TestApp`), with
// the record of revocations in memory: a revoked session is refused though KV still holds it, and
// an unreachable record is a logged 503, never a session accepted unchecked.
import { afterEach, describe, expect, it, vi } from "vitest"
import { Effect, Layer } from "effect"
import * as TestApp from "../../src/http/TestApp.js"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import * as TestKit from "../../src/layers/TestKit.js"
import { SessionRevocations, SessionRevocationsError } from "../../src/services/SessionRevocations.js"

const me = (app: ReturnType<typeof TestApp.make>, headers: Record<string, string> = {}) =>
  app.fetch(`${TestApp.origin}/api/me`, { headers: { authorization: `Bearer ${TestKit.testToken}`, ...headers } })

afterEach(() => void vi.restoreAllMocks())

describe("immediate, in Node", () => {
  it("the kit's session is accepted until it is revoked, then refused though KV still holds it", async () => {
    const record = Effect.runSync(SessionRevocationsDurableObject.makeMemory)
    const app = TestApp.make({ revocations: Layer.succeed(SessionRevocations, record) })
    expect((await me(app)).status).toBe(200)
    await Effect.runPromise(record.revoke({ userId: TestKit.testUser.id, sessionId: "test-session", expiresAt: Date.now() + 3_600_000 }))
    const refused = await me(app)
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ error: "Invalid or expired session" })
    await app.dispose()
  })

  it("an unreachable record: 503 JSON with the request id, and the cause logged with it", async () => {
    const unavailable = Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "session revocations object unreachable: reset" }))
    const app = TestApp.make({
      revocations: Layer.succeed(SessionRevocations, { check: () => unavailable, revoke: () => unavailable, revokeAll: () => unavailable })
    })
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    const response = await me(app, { "cf-ray": "8f1e2d3c4b5a6978-SIN" })
    expect(response.status).toBe(503)
    expect(response.headers.get("x-request-id")).toBe("8f1e2d3c4b5a6978-SIN")
    expect(await response.json()).toMatchObject({ error: "Session store unavailable" })
    const logged = lines.map((line) => JSON.parse(line) as { logLevel: string; message: unknown; annotations: Record<string, unknown> })
    expect(logged.find((l) => JSON.stringify(l.message).includes("session revocations object unreachable: reset"))).toMatchObject({
      logLevel: "ERROR",
      annotations: { requestId: "8f1e2d3c4b5a6978-SIN" }
    })
    await app.dispose()
  })
})
