/**
 * The worker with each rate limiter backend (RATE_LIMIT_BACKEND): configuration problems named at
 * start-up, and hostile bursts against the Durable Object and binding backends.
 */
import { env } from "cloudflare:test"
import { Duration, Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import type { RateLimitRule, RateLimitSettings } from "../../src/http/ratelimit/Rules.js"
import { awayFromWindowEdge, freshIp, origin } from "./helpers.js"

const configWith = (vars: Record<string, unknown>) => readConfig({ ...env, ...vars })

describe("RATE_LIMIT_BACKEND at start-up", () => {
  it("defaults to kv; each backend is read with its bindings", () => {
    expect(Either.getOrThrow(readConfig(env)).rateLimiter).toEqual({ backend: "kv" })
    expect(Either.getOrThrow(configWith({ RATE_LIMIT_BACKEND: "durable-object" })).rateLimiter).toMatchObject({ backend: "durable-object" })
    const binding = Either.getOrThrow(configWith({ RATE_LIMIT_BACKEND: "binding" })).rateLimiter
    expect(binding?.backend).toBe("binding")
    expect([...(binding as { bindings: ReadonlyMap<string, unknown> }).bindings.keys()].sort()).toEqual([
      "RATE_LIMIT_100_PER_60S",
      "RATE_LIMIT_10_PER_60S",
      "RATE_LIMIT_20_PER_60S",
      "RATE_LIMIT_3_PER_60S",
      "RATE_LIMIT_5_PER_60S"
    ])
  })

  it("a bad value or a missing Durable Object is named", () => {
    expect(Either.getLeft(configWith({ RATE_LIMIT_BACKEND: "redis" }))).toEqual(Option.some([
      `RATE_LIMIT_BACKEND must be one of "kv", "durable-object", "binding" (got "redis")`
    ]))
    expect(Either.getLeft(configWith({ RATE_LIMIT_BACKEND: "durable-object", RATE_LIMITER: undefined }))).toEqual(Option.some([
      "Durable Object binding `RATE_LIMITER` is missing (RATE_LIMIT_BACKEND=durable-object): declare it in wrangler.toml with class_name = \"RateLimiterObject\" and its new_sqlite_classes migration"
    ]))
  })

  it("a binding the rules need and the environment lacks is named when the worker is built: 503 with the line to add", async () => {
    const worker = (await import("../../src/http/main.js")).default
    const response = await worker.fetch(new Request(`${origin}/health`), { ...env, RATE_LIMIT_BACKEND: "binding", RATE_LIMIT_3_PER_60S: undefined } as never, {} as never)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({
      error: "Service misconfigured",
      problems: [
        "Rate Limiting binding `RATE_LIMIT_3_PER_60S` is missing (RATE_LIMIT_BACKEND=binding, rule \"magic-link\"): add to wrangler.toml [[ratelimits]] name = \"RATE_LIMIT_3_PER_60S\", namespace_id = \"<unique number>\", simple = { limit = 3, period = 60 }"
      ]
    })
  })

  it("a misconfigured backend answers 503 naming the problem", async () => {
    const worker = (await import("../../src/http/main.js")).default
    const response = await worker.fetch(new Request(`${origin}/health`), { ...env, RATE_LIMIT_BACKEND: "Durable-Object" } as never, {} as never)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ problems: [expect.stringContaining(`(got "Durable-Object")`)] })
  })

  it("rules a backend cannot count stop the worker at start-up, naming the rule", () => {
    const config = Either.getOrThrow(configWith({ RATE_LIMIT_BACKEND: "binding" }))
    const rules = (policy: RateLimitRule["policy"]): RateLimitSettings => ({
      trustForwardedFor: false,
      rules: [{ name: "slow", paths: ["/api/auth/sign-in"], policy, onFailure: "closed" }]
    })
    // A window a binding cannot count is counted in KV: no binding asked for.
    void appOf({ ...config, rateLimits: rules({ limit: 5, window: Duration.seconds(90) }) }).dispose()
    expect(() => appOf({ ...config, rateLimits: rules({ limit: 7, window: Duration.seconds(60) }) })).toThrow(
      /Rate Limiting binding `RATE_LIMIT_7_PER_60S` is missing/
    )
    const sliding = rules({ limit: 5, window: Duration.seconds(60), algorithm: "sliding-window" })
    expect(() => appOf({ ...config, rateLimits: sliding })).toThrow(/counts fixed windows only/)
    expect(() => appOf({ ...config, rateLimiter: { backend: "kv" }, rateLimits: sliding })).toThrow(
      /RATE_LIMIT_BACKEND=kv cannot count rule "slow"/
    )
    const onDurableObject = appOf({ ...config, rateLimiter: { backend: "durable-object", namespace: env.RATE_LIMITER }, rateLimits: sliding })
    void onDurableObject.dispose()
  })
})

const signUpVariants = [
  "/api/auth/sign-up/email",
  "/API/AUTH/SIGN-UP/EMAIL",
  "//api/auth/sign-up/email/",
  "/api/auth/sign%2Dup/email?x=1",
  "/api/auth/./sign-up/email",
  "/api/auth/sign-up;p=1/email"
]

/** A burst of sign-ups from one client, spread over `handlers` (isolates), with path variants and spoofed XFF. */
const burst = async (handlers: ReadonlyArray<(r: Request) => Promise<Response>>, ip: string, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) =>
    handlers[i % handlers.length]!(new Request(`${origin}${signUpVariants[i % signUpVariants.length]}`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", "cf-connecting-ip": ip, "x-forwarded-for": `203.0.113.${i}` },
      body: JSON.stringify({ email: `burst${i}-${crypto.randomUUID()}@example.com`, password: "correct-horse-battery", name: "B" })
    }))))

describe("hostile bursts on the durable-object and binding backends", () => {
  it("durable-object: 24 concurrent sign-ups over 4 isolates, every path variant, admit exactly 3", async () => {
    await awayFromWindowEdge()
    const config = Either.getOrThrow(configWith({ RATE_LIMIT_BACKEND: "durable-object" }))
    const isolates = Array.from({ length: 4 }, () => appOf(config))
    const responses = await burst(isolates.map((i) => i.handler), freshIp(), 24)
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s !== 429)).toHaveLength(3)
    const refused = responses.find((r) => r.status === 429)!
    expect(refused.headers.get("ratelimit-policy")).toBe(`"sign-up";q=3;w=60`)
    expect(refused.headers.get("ratelimit")).toMatch(/^"sign-up";r=0;t=\d+$/)
    await Promise.all(responses.map((r) => r.body?.cancel()))
    await Promise.all(isolates.map((i) => i.dispose()))
  })

  it("binding: one isolate's burst admits the limit (the binding counts per location, approximately)", async () => {
    await awayFromWindowEdge()
    const config = Either.getOrThrow(configWith({ RATE_LIMIT_BACKEND: "binding" }))
    const isolate = appOf(config)
    const responses = await burst([isolate.handler], freshIp(), 8)
    expect(responses.filter((r) => r.status !== 429)).toHaveLength(3)
    await Promise.all(responses.map((r) => r.body?.cancel()))
    await isolate.dispose()
  })
})
