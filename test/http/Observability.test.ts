import { describe, expect, it, vi } from "vitest"
import { Effect, Logger } from "effect"
import { currentRequestId, logger, requestIdOf } from "../../src/http/middleware/RequestLog.js"

describe("JSON logs carry the request id", () => {
  it("a line written while answering a request has its id; one written outside has none", async () => {
    const lines: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(String(line))
    })
    try {
      await Effect.runPromise(
        Effect.zipRight(
          Effect.locally(Effect.logWarning("inside", { rule: "sign-in" }), currentRequestId, "req-123"),
          Effect.logInfo("outside")
        ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      )
    } finally {
      spy.mockRestore()
    }
    const [inside, outside] = lines.map((line) => JSON.parse(line) as { message: unknown; logLevel: string; annotations: Record<string, unknown> })
    expect(inside).toMatchObject({ logLevel: "WARN", annotations: { requestId: "req-123" } })
    expect(inside!.message).toEqual(["inside", { rule: "sign-in" }])
    expect(outside!.annotations).toEqual({})
  })

  it("the id is Cloudflare's ray when well formed, else a fresh UUID", () => {
    expect(requestIdOf("8f1e2d3c4b5a6978-LHR")).toBe("8f1e2d3c4b5a6978-LHR")
    expect(requestIdOf("bad ray with spaces")).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf(undefined)).toMatch(/^[0-9a-f-]{36}$/)
  })
})
