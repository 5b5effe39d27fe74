import { describe, expect, it } from "vitest"
import { call } from "./helpers.js"

describe("request ids", () => {
  it("every response carries X-Request-Id: the CF-Ray when well formed, else a fresh UUID", async () => {
    const withRay = await call("/health", { headers: { "cf-ray": "8f1e2d3c4b5a6978-LHR" } })
    expect(withRay.headers.get("x-request-id")).toBe("8f1e2d3c4b5a6978-LHR")
    const a = await call("/health")
    const b = await call("/nope")
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.status).toBe(404)
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"))
    const forged = await call("/health", { headers: { "cf-ray": "<script>" } })
    expect(forged.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("responses refused by the rate limiter and by authentication carry one too", async () => {
    const unauthorized = await call("/api/me")
    expect(unauthorized.headers.get("x-request-id")).toBeTruthy()
  })

  it("/metrics is not served unless METRICS_ENABLED is true", async () => {
    const response = await call("/metrics")
    expect(response.status).toBe(404)
  })
})
