import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import worker from "../../src/http/main.js"
import { origin } from "./helpers.js"

const health = (workerEnv: unknown) => worker.fetch(new Request(`${origin}/health`), workerEnv as never, { waitUntil: () => {} } as never)

describe("the worker entry", () => {
  it("answers each configuration with its own handler, whichever came last", async () => {
    // The entry remembers the last configuration it saw; a request with another one must not be
    // answered by that handler, and the first must still get its own after it.
    expect((await health(env)).status).toBe(200)
    expect((await health({ ...env, BETTER_AUTH_SECRET: undefined })).status).toBe(503)
    expect((await health({ ...env })).status).toBe(200)
    expect((await health({ ...env, KV: undefined })).status).toBe(503)
    expect((await health({ ...env, BETTER_AUTH_URL: "not a url" })).status).toBe(503)
    expect((await health({ ...env, SESSION_EXPIRES_IN: "not a duration" })).status).toBe(503)
    expect((await health({ ...env, RATE_LIMIT_BACKEND: "no such backend" })).status).toBe(503)
    expect((await health({ ...env, MAX_BODY_BYTES: "-1" })).status).toBe(503)
    expect((await health({ ...env, TRUSTED_ORIGINS: "not an origin" })).status).toBe(503)
    expect((await health(env)).status).toBe(200)
  })
})
