import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Option, Random, Schema, TestClock } from "effect"
import { authenticate } from "../../src/http/Authentication.js"
import * as RateLimit from "../../src/http/middleware/RateLimit.js"
import { RateLimitRules } from "../../src/http/ratelimit/Rules.js"
import * as CacheKv from "../../src/layers/CacheKv.js"
import * as KvFaults from "../../src/layers/KvFaults.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { AuthProvider } from "../../src/services/AuthProvider.js"
import { Cache } from "../../src/services/Cache.js"
import { Kv } from "../../src/services/Kv.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"

const epoch = Date.UTC(2026, 10, 28, 12, 0, 0)
const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

const faulty = (options: KvFaults.KvFaultOptions) => KvFaults.layer(options).pipe(Layer.provide(KvMemory.layer))

describe("KvFaults", () => {
  it.effect("errorRate 1 fails every operation with Unavailable and KV's wording", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      expect(yield* Effect.flip(kv.get("k"))).toMatchObject({ reason: "Unavailable", message: "KV GET failed: 503 Service Unavailable" })
      expect(yield* Effect.flip(kv.put("k", "v"))).toMatchObject({ reason: "Unavailable", operation: "put" })
      expect(yield* Effect.flip(kv.list())).toMatchObject({ reason: "Unavailable", operation: "list" })
    }).pipe(Effect.provide(faulty({ errorRate: 1 }))))

  it.effect("writeRateLimitRate 1 refuses writes with a 429 and leaves reads alone", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      expect(yield* Effect.flip(kv.put("k", "v"))).toMatchObject({ reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
      expect(yield* kv.get("k")).toEqual(Option.none())
    }).pipe(Effect.provide(faulty({ writeRateLimitRate: 1 }))))

  it.effect("errorRate draws from Effect's Random", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      const outcomes = yield* Effect.forEach([1, 2, 3, 4], () => Effect.map(Effect.exit(kv.get("k")), Exit.isFailure))
      expect(outcomes).toEqual([true, false, true, false])
    }).pipe(Effect.withRandom(Random.fixed([0.1, 0.9])), Effect.provide(faulty({ errorRate: 0.5 }))))

  it.effect("latency is added on Effect's Clock", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      const fiber = yield* Effect.fork(kv.get("k"))
      yield* TestClock.adjust("199 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toEqual(Option.none())
    }).pipe(Effect.provide(faulty({ latency: "200 millis" }))))
})

/** The session a signed-in request carries, written as Better Auth writes it. */
const sessionRecord = (now: number, ageMillis = 0) =>
  JSON.stringify({
    session: {
      id: "s1",
      token,
      userId: "u1",
      expiresAt: new Date(now - ageMillis + 7 * 86_400_000).toISOString(),
      createdAt: new Date(now - ageMillis).toISOString(),
      updatedAt: new Date(now - ageMillis).toISOString()
    },
    user: { id: "u1", name: "Ada", email: "ada@example.com", emailVerified: true, createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString() }
  })

const rawAuth = Layer.succeed(AuthProvider, {
  handle: () => Effect.die("not used"),
  sessionToken: (credential) => Effect.succeed(Option.some(credential))
})

const withRequest = (headers: Record<string, string>, path = "/api/me") =>
  Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request(`http://localhost${path}`, { headers })))

describe("each service degrades by its policy", () => {
  it.effect("session validation answers 503 when KV fails, never 401", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(authenticate.pipe(withRequest({ authorization: `Bearer ${token}` })))
      expect(error).toMatchObject({ _tag: "ServiceUnavailable", error: "Session store unavailable" })
    }).pipe(
      Effect.provide(Layer.mergeAll(rawAuth, SessionStoreKv.layer.pipe(Layer.provide(Layer.merge(faulty({ errorRate: 1 }), SessionConfig.layer())))))
    ))

  it.effect("a refresh that KV refuses (429) still authenticates from the stored session", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const kv = yield* Kv
      yield* kv.put(`session:${token}`, sessionRecord(epoch, 2 * 86_400_000), { expirationTtl: 5 * 86_400 })
      const store = SessionStoreKv.layer.pipe(
        Layer.provide(Layer.merge(KvFaults.layer({ writeRateLimitRate: 1 }).pipe(Layer.provide(Layer.succeed(Kv, kv))), SessionConfig.layer()))
      )
      const record = yield* authenticate.pipe(withRequest({ authorization: `Bearer ${token}` }), Effect.provide(Layer.merge(rawAuth, store)))
      expect(record.user.email).toBe("ada@example.com")
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("the rate limiter follows each route's policy: closed answers 503, open lets the request through", () =>
    Effect.gen(function*() {
      const middleware = yield* RateLimit.make
      const app = Effect.succeed(HttpServerResponse.text("reached"))
      const closed = yield* middleware(app).pipe(withRequest({ "cf-connecting-ip": "203.0.113.9" }, "/api/auth/sign-in/email"))
      expect(closed.status).toBe(503)
      expect(closed.headers["retry-after"]).toBe("1")
      const open = yield* middleware(app).pipe(withRequest({ "cf-connecting-ip": "203.0.113.9" }, "/api/auth/get-session"))
      expect(open.status).toBe(200)
    }).pipe(
      Effect.provide(Layer.merge(RateLimiterKv.layer.pipe(Layer.provide(faulty({ errorRate: 1 }))), RateLimitRules.layer()))
    ))

  it.effect("the cache computes, slowly or not, whatever KV does", () =>
    Effect.gen(function*() {
      const cache = yield* Cache
      let runs = 0
      const compute = Effect.sync(() => ++runs)
      expect(yield* cache.getOrSet("k", Schema.Number, compute)).toBe(1)
      expect(yield* cache.getOrSet("k", Schema.Number, compute)).toBe(2)
    }).pipe(Effect.provide(CacheKv.layer.pipe(Layer.provide(faulty({ errorRate: 1, writeRateLimitRate: 1 }))))))

  it.effect("added latency delays, but does not change, a limiter decision", () =>
    Effect.gen(function*() {
      const middleware = yield* RateLimit.make
      const fiber = yield* Effect.fork(
        middleware(Effect.succeed(HttpServerResponse.text("reached"))).pipe(withRequest({ "cf-connecting-ip": "203.0.113.9" }, "/api/auth/sign-in/email"))
      )
      yield* TestClock.adjust("299 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.seconds(1))
      const response = yield* Fiber.join(fiber)
      expect(response.status).toBe(200)
    }).pipe(
      Effect.provide(Layer.merge(RateLimiterKv.layer.pipe(Layer.provide(faulty({ latency: "300 millis" }))), RateLimitRules.layer()))
    ))
})

void SessionStore

describe("KvFaults: read options reach the Kv below", () => {
  it.effect("cacheTtl is passed through on every read; an invalid one fails with KV's message", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const inner = yield* Effect.provide(Kv, KvMemory.layer)
      const spy: Kv["Type"] = {
        ...inner,
        get: (key, options) => Effect.zipRight(Effect.sync(() => seen.push(["get", options])), inner.get(key, options)),
        getJson: (key, schema, options) =>
          Effect.zipRight(Effect.sync(() => seen.push(["getJson", options])), inner.getJson(key, schema, options)),
        getWithMetadata: (key, options) =>
          Effect.zipRight(Effect.sync(() => seen.push(["getWithMetadata", options])), inner.getWithMetadata(key, options)),
        getMany: (keys, options) =>
          Effect.zipRight(Effect.sync(() => seen.push(["getMany", options])), inner.getMany(keys, options))
      }
      const kv = KvFaults.wrap(spy, { latency: "1 millis" })
      const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.fork(effect).pipe(Effect.tap(() => TestClock.adjust("1 millis")), Effect.flatMap(Fiber.join))
      yield* run(kv.get("k", { cacheTtl: 30 }))
      yield* run(kv.getJson("k", Schema.String, { cacheTtl: 45 }))
      yield* run(kv.getWithMetadata("k", { cacheTtl: 60 }))
      yield* run(kv.getMany(["k"], { cacheTtl: 90 }))
      expect(seen).toEqual([
        ["get", { cacheTtl: 30 }],
        ["getJson", { cacheTtl: 45 }],
        ["getWithMetadata", { cacheTtl: 60 }],
        ["getMany", { cacheTtl: 90 }]
      ])
      const error = yield* Effect.flip(run(kv.get("k", { cacheTtl: 10 })))
      expect(error).toMatchObject({
        reason: "InvalidCacheTtl",
        message: "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
      })
    }))
})
