import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { bufferBody } from "../../src/http/middleware/BodyLimit.js"
import { readConfig } from "../../src/http/Config.js"

const env = {
  KV: { get() {}, put() {}, delete() {}, list() {} },
  DB: { prepare() {}, batch() {} },
  BETTER_AUTH_SECRET: "s".repeat(32),
  BETTER_AUTH_URL: "http://localhost:8787",
  MAILER: "outbox"
}

const chunked = (bytes: number, chunk = 1000) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let sent = 0; sent < bytes; sent += chunk) controller.enqueue(new Uint8Array(Math.min(chunk, bytes - sent)))
      controller.close()
    }
  })

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/api/auth/sign-in/email", { method: "POST", body, headers, duplex: "half" } as RequestInit)

describe("bounded bodies", () => {
  it("a body within the cap is buffered: the same bytes, a length, no transfer-encoding", async () => {
    const buffered = await bufferBody(post(chunked(5000), { "transfer-encoding": "chunked" }), 5000)
    expect(buffered._tag).toBe("Buffered")
    if (buffered._tag !== "Buffered") return
    expect(buffered.request.headers.get("content-length")).toBe("5000")
    expect(buffered.request.headers.get("transfer-encoding")).toBeNull()
    expect((await buffered.request.arrayBuffer()).byteLength).toBe(5000)
  })

  it("one byte over the cap is too large, declared or not", async () => {
    expect((await bufferBody(post(chunked(5001)), 5000))._tag).toBe("TooLarge")
    expect((await bufferBody(post("x".repeat(5001)), 5000))._tag).toBe("TooLarge")
  })

  it("a request without a body passes as it is", async () => {
    const request = new Request("http://localhost/api/me")
    expect(await bufferBody(request, 10)).toEqual({ _tag: "Buffered", request })
  })

  it("the cap is configured by MAX_BODY_BYTES, a positive integer", () => {
    expect(Either.getOrThrow(readConfig(env)).maxBodyBytes).toBeUndefined()
    expect(Either.getOrThrow(readConfig({ ...env, MAX_BODY_BYTES: "1024" })).maxBodyBytes).toBe(1024)
    expect(Either.isLeft(readConfig({ ...env, MAX_BODY_BYTES: "-1" }))).toBe(true)
  })
})
