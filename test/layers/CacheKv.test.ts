import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, Metric, Option, Ref, Schema, TestClock } from "effect"
import * as CacheKv from "../../src/layers/CacheKv.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import { BackgroundTasks } from "../../src/services/BackgroundTasks.js"
import { Cache, cacheKey } from "../../src/services/Cache.js"
import { Kv, KvError } from "../../src/services/Kv.js"
import type { KvService } from "../../src/services/Kv.js"
import { cacheHits } from "../../src/services/Metrics.js"

const epoch = Date.UTC(2026, 10, 28, 12, 0, 0)
const Summary = Schema.Struct({ total: Schema.Number, at: Schema.Date })
type Summary = typeof Summary.Type

const Live = CacheKv.layer.pipe(Layer.provideMerge(KvMemory.layer), Layer.provideMerge(BackgroundTasks.layerInline))
const run = <A, E>(effect: Effect.Effect<A, E, Cache | Kv | BackgroundTasks>) =>
  Effect.zipRight(TestClock.setTime(epoch), effect).pipe(Effect.provide(Live))

/** A computation that counts its runs and returns the run number. */
const counter = Effect.map(Ref.make(0), (runs) => ({
  runs,
  compute: Effect.map(Ref.updateAndGet(runs, (n) => n + 1), (n): Summary => ({ total: n, at: new Date(epoch) }))
}))

describe("Cache over Kv", () => {
  it.effect("miss computes; a hit before 5 minutes does not; at 5 minutes it recomputes", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      expect((yield* cache.getOrSet("summary", Summary, compute)).total).toBe(1)
      yield* TestClock.adjust("4 minutes")
      const hitsBefore = yield* Metric.value(cacheHits)
      expect((yield* cache.getOrSet("summary", Summary, compute)).total).toBe(1)
      expect((yield* Metric.value(cacheHits)).count).toBe(hitsBefore.count + 1)
      yield* TestClock.adjust("59999 millis")
      expect((yield* cache.getOrSet("summary", Summary, compute)).total).toBe(1)
      expect(yield* Ref.get(runs)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect((yield* cache.getOrSet("summary", Summary, compute)).total).toBe(2)
      expect(yield* Ref.get(runs)).toBe(2)
    })))

  it.effect("entries are Schema-encoded JSON under cache:, with a KV TTL covering ttl + grace", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const kv = yield* Kv
      const { compute } = yield* counter
      yield* cache.getOrSet("summary", Summary, compute, { ttl: "10 minutes", staleWhileRevalidate: "2 minutes" })
      expect(yield* kv.get("cache:summary")).toEqual(Option.some(`{"total":1,"at":"2026-11-28T12:00:00.000Z"}`))
      const [key] = (yield* kv.list({ prefix: "cache:" })).keys
      expect(key).toEqual({
        name: "cache:summary",
        expiration: epoch / 1000 + 720,
        metadata: { freshUntil: epoch + 600_000, staleUntil: epoch + 720_000 }
      })
    })))

  it.effect("a TTL under KV's 60 s minimum still expires on time", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      yield* cache.getOrSet("short", Summary, compute, { ttl: "10 seconds" })
      yield* TestClock.adjust("9 seconds")
      yield* cache.getOrSet("short", Summary, compute, { ttl: "10 seconds" })
      expect(yield* Ref.get(runs)).toBe(1)
      yield* TestClock.adjust("1 seconds")
      yield* cache.getOrSet("short", Summary, compute, { ttl: "10 seconds" })
      expect(yield* Ref.get(runs)).toBe(2)
    })))

  it.effect("concurrent misses of one key run compute once (single flight)", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      const slow = Effect.zipRight(Effect.sleep("1 second"), compute)
      const fiber = yield* Effect.fork(
        Effect.all(Array.from({ length: 10 }, () => cache.getOrSet("hot", Summary, slow)), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("1 second")
      const results = yield* Fiber.join(fiber)
      expect(results.map((r) => r.total)).toEqual(Array(10).fill(1))
      expect(yield* Ref.get(runs)).toBe(1)
      // Other keys are not held up by it.
      expect((yield* cache.getOrSet("other", Summary, compute)).total).toBe(2)
    })))

  it.effect("a leader that never finishes (its request abandoned) holds nobody up for more than 10 s", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      yield* Effect.fork(cache.getOrSet("stuck", Summary, Effect.never))
      yield* TestClock.adjust("1 second")
      const follower = yield* Effect.fork(cache.getOrSet("stuck", Summary, compute))
      yield* TestClock.adjust("9 seconds")
      expect(Option.isNone(yield* Fiber.poll(follower))).toBe(true)
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(follower)).total).toBe(1)
      // Past its patience the lost leader no longer holds the key: a new miss leads at once.
      yield* (yield* Cache).invalidate("stuck")
      expect((yield* cache.getOrSet("stuck", Summary, compute)).total).toBe(2)
      expect(yield* Ref.get(runs)).toBe(2)
    })))

  it.effect("a failing compute fails every waiting caller with its own error, and nothing is cached", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const failing = Effect.zipRight(Effect.sleep("1 second"), Effect.fail("database down" as const))
      const fiber = yield* Effect.fork(
        Effect.all(Array.from({ length: 3 }, () => Effect.flip(cache.getOrSet("k", Summary, failing))), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual(["database down", "database down", "database down"])
      expect(yield* (yield* Kv).get("cache:k")).toEqual(Option.none())
    })))

  it.effect("a corrupt entry, or one written by an older schema, is a miss: recomputed and overwritten", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const kv = yield* Kv
      const { compute, runs } = yield* counter
      const fresh = { freshUntil: epoch + 3_600_000, staleUntil: epoch + 3_600_000 }
      yield* kv.put("cache:corrupt", "{not json", { metadata: fresh })
      yield* kv.put("cache:old", JSON.stringify({ count: 7 }), { metadata: fresh })
      yield* kv.put("cache:bare", JSON.stringify({ total: 9, at: "2026-01-01T00:00:00.000Z" }))
      expect((yield* cache.getOrSet("corrupt", Summary, compute)).total).toBe(1)
      expect((yield* cache.getOrSet("old", Summary, compute)).total).toBe(2)
      expect((yield* cache.getOrSet("bare", Summary, compute)).total).toBe(3)
      expect(yield* kv.get("cache:old")).toEqual(Option.some(`{"total":2,"at":"2026-11-28T12:00:00.000Z"}`))
      expect((yield* cache.getOrSet("old", Summary, compute)).total).toBe(2)
      expect(yield* Ref.get(runs)).toBe(3)
    })))

  it.effect("stale-while-revalidate: within the grace a stale value is served and refreshed in the background", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      const options = { ttl: "5 minutes", staleWhileRevalidate: "1 minute" } as const
      expect((yield* cache.getOrSet("swr", Summary, compute, options)).total).toBe(1)
      yield* TestClock.adjust("5 minutes")
      // Stale: served at once, refreshed through BackgroundTasks.
      expect((yield* cache.getOrSet("swr", Summary, compute, options)).total).toBe(1)
      expect(yield* Ref.get(runs)).toBe(2)
      expect((yield* cache.getOrSet("swr", Summary, compute, options)).total).toBe(2)
      // Past the grace, the caller waits for a fresh value.
      yield* TestClock.adjust("6 minutes")
      expect((yield* cache.getOrSet("swr", Summary, compute, options)).total).toBe(3)
    })))

  it.effect("invalidate removes the entry", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const { compute } = yield* counter
      yield* cache.getOrSet("k", Summary, compute)
      yield* cache.invalidate("k")
      expect((yield* cache.getOrSet("k", Summary, compute)).total).toBe(2)
    })))
})

describe("Cache when KV fails", () => {
  const kvError = (operation: "get" | "put" | "delete" | "list") =>
    new KvError({ operation, reason: "Unavailable", message: `KV ${operation.toUpperCase()} failed: 503` })
  const failingKv = Layer.effect(
    Kv,
    Effect.map(Kv, (kv): KvService => ({
      ...kv,
      getWithMetadata: () => Effect.fail(kvError("get")),
      put: () => Effect.fail(kvError("put")),
      delete: () => Effect.fail(kvError("delete"))
    }))
  ).pipe(Layer.provide(KvMemory.layer))
  const Failing = CacheKv.layer.pipe(Layer.provide(failingKv))

  it.effect("the action never fails: it computes, returns and logs", () =>
    Effect.gen(function*() {
      const cache = yield* Cache
      const { compute, runs } = yield* counter
      expect((yield* cache.getOrSet("k", Summary, compute)).total).toBe(1)
      expect((yield* cache.getOrSet("k", Summary, compute)).total).toBe(2)
      expect(yield* Ref.get(runs)).toBe(2)
      expect(yield* Effect.flip(cache.invalidate("k"))).toMatchObject({ _tag: "CacheError" })
    }).pipe(Effect.provide(Failing)))

  it.effect("a KV outage is logged as one, at error level, on read and on write", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${(message as Array<unknown>)[0]}`))
    return Effect.gen(function*() {
      const cache = yield* Cache
      const { compute } = yield* counter
      yield* cache.getOrSet("k", Summary, compute)
      expect(lines).toEqual([
        "ERROR cache unavailable: KV outage; computing",
        "ERROR cache unavailable: KV outage; value not stored"
      ])
    }).pipe(Effect.provide(Failing), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })
})

describe("Cache keys KV cannot take", () => {
  const longKey = (n: number) => `search:${"é".repeat(n)}`

  it.effect("a key over 512 bytes once prefixed still caches, under cache:sha256:<digest of the key>", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => lines.push(String((message as Array<unknown>)[0])))
    return run(Effect.gen(function*() {
      const cache = yield* Cache
      const kv = yield* Kv
      const { compute, runs } = yield* counter
      const key = longKey(300) // 607 UTF-8 bytes
      expect((yield* cache.getOrSet(key, Summary, compute)).total).toBe(1)
      expect((yield* cache.getOrSet(key, Summary, compute)).total).toBe(1)
      expect(yield* Ref.get(runs)).toBe(1)
      const digest = yield* Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)))
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
      expect((yield* kv.list({ prefix: "cache:" })).keys.map((k) => k.name)).toEqual([`cache:sha256:${hex}`])
      expect(lines).toEqual([])
      yield* cache.invalidate(key)
      expect((yield* kv.list({ prefix: "cache:" })).keys).toEqual([])
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger))))
  })

  it.effect("the longest key that fits is stored as it is; one byte more is digested", () =>
    run(Effect.gen(function*() {
      const kv = yield* Kv
      expect(yield* cacheKey("x".repeat(506))).toBe(`cache:${"x".repeat(506)}`)
      expect(yield* cacheKey("x".repeat(507))).toMatch(/^cache:sha256:[0-9a-f]{64}$/)
      // Measured in UTF-8 bytes, not UTF-16 code units: 253 × "é" is 506 bytes, 254 is 508.
      expect(yield* cacheKey("é".repeat(253))).toBe(`cache:${"é".repeat(253)}`)
      expect(yield* cacheKey("é".repeat(254))).toMatch(/^cache:sha256:/)
      yield* kv.put(yield* cacheKey("x".repeat(506)), "fits")
    })))

  it.effect("different long keys, a lone surrogate and a key spelled like a digest never share an entry", () =>
    run(Effect.gen(function*() {
      const cache = yield* Cache
      const keys = [longKey(300), longKey(301), `${longKey(300)}\u0000`, "a\uD800", "a\uFFFD", "sha256:abc", "abc"]
      const storageKeys = yield* Effect.forEach(keys, cacheKey)
      expect(new Set(storageKeys).size).toBe(keys.length)
      for (const [i, key] of keys.entries()) {
        const value = yield* cache.getOrSet(key, Summary, Effect.succeed({ total: i, at: new Date(epoch) }))
        expect(value.total).toBe(i)
      }
      for (const [i, key] of keys.entries()) {
        const value = yield* cache.getOrSet(key, Summary, Effect.succeed({ total: -1, at: new Date(epoch) }))
        expect(value.total).toBe(i)
      }
    })))
})
