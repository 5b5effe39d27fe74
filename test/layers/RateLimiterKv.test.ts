import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import { Kv, KvError } from "../../src/services/Kv.js"
import type { KvService } from "../../src/services/Kv.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"

// A minute boundary, so aligned windows start at the test's start.
const epoch = Date.UTC(2026, 10, 28, 12, 0, 0)
const Live = RateLimiterKv.layer.pipe(Layer.provideMerge(KvMemory.layer))
const run = <A, E>(effect: Effect.Effect<A, E, RateLimiter | Kv>) =>
  Effect.zipRight(TestClock.setTime(epoch), effect).pipe(Effect.provide(Live))

const fivePerMinute = { limit: 5, window: "60 seconds" } as const

describe("RateLimiter over Kv (fixed window)", () => {
  it.effect("the limit+1-th request is denied; the next window admits again exactly at its start", () =>
    run(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const decisions = []
      for (let i = 0; i < 6; i++) {
        decisions.push(yield* limiter.consume("1.2.3.4:sign-in", fivePerMinute))
        yield* TestClock.adjust("2 seconds")
      }
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 4], [true, 3], [true, 2], [true, 1], [true, 0], [false, 0]
      ])
      expect(decisions.map((d) => d.limit)).toEqual([5, 5, 5, 5, 5, 5])
      expect(Duration.toMillis(decisions[0]!.resetAfter)).toBe(60_000)
      expect(Duration.toMillis(decisions[5]!.resetAfter)).toBe(50_000)

      yield* TestClock.setTime(epoch + 59_999)
      expect((yield* limiter.consume("1.2.3.4:sign-in", fivePerMinute)).allowed).toBe(false)
      yield* TestClock.setTime(epoch + 60_000)
      const next = yield* limiter.consume("1.2.3.4:sign-in", fivePerMinute)
      expect([next.allowed, next.remaining, Duration.toMillis(next.resetAfter)]).toEqual([true, 4, 60_000])
    })))

  it.effect("the counter lives at ratelimit:<key>, the count as its value, its window as metadata", () =>
    run(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const kv = yield* Kv
      yield* limiter.consume("1.2.3.4:sign-in", fivePerMinute)
      yield* TestClock.adjust("1 second")
      yield* limiter.consume("1.2.3.4:sign-in", fivePerMinute)
      expect(yield* kv.getWithMetadata("ratelimit:1.2.3.4:sign-in")).toEqual(
        Option.some({ value: "2", metadata: Option.some({ windowStart: epoch, windowMillis: 60_000 }) })
      )
      // Written last at t+1 s with 59 s of the window left: KV's minimum TTL of 60 s covers it.
      const [key] = (yield* kv.list({ prefix: "ratelimit:" })).keys
      expect(key?.expiration).toBe(epoch / 1000 + 61)
    })))

  it.effect("windows shorter than KV's 60 s minimum TTL are exact", () =>
    run(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const policy = { limit: 2, window: "10 seconds" } as const
      const at = (ms: number) => Effect.zipRight(TestClock.setTime(epoch + ms), limiter.consume("k", policy))
      expect((yield* at(0)).allowed).toBe(true)
      expect((yield* at(1_000)).allowed).toBe(true)
      expect((yield* at(9_999)).allowed).toBe(false)
      // The KV key outlives the window (TTL 60 s), but its stored window says it is over.
      const next = yield* at(10_000)
      expect([next.allowed, next.remaining]).toEqual([true, 1])
      const kv = yield* Kv
      expect((yield* kv.list({ prefix: "ratelimit:k" })).keys[0]?.expiration).toBe(epoch / 1000 + 70)
    })))

  it.effect("a burst within one isolate never admits more than the limit, and writes KV at most once a second", () =>
    Effect.gen(function*() {
      let puts = 0
      const counting = Layer.effect(
        Kv,
        Effect.map(Kv, (kv): KvService => ({ ...kv, put: (...args) => Effect.zipRight(Effect.sync(() => puts++), kv.put(...args)) }))
      ).pipe(Layer.provide(KvMemory.layerWith({ enforceWriteRate: true })))
      const limiter = yield* Effect.provide(RateLimiter, RateLimiterKv.layer.pipe(Layer.provide(counting)))
      yield* TestClock.setTime(epoch)
      const burst = yield* Effect.all(
        Array.from({ length: 20 }, () => limiter.consume("burst", fivePerMinute)),
        { concurrency: "unbounded" }
      )
      expect(burst.filter((d) => d.allowed)).toHaveLength(5)
      // 20 requests in one instant: one write (the first); KV's one-write-per-second never trips.
      expect(puts).toBe(1)
      // A second later, the next request is still denied and records the held-back count once.
      yield* TestClock.adjust("1 second")
      expect((yield* limiter.consume("burst", fivePerMinute)).allowed).toBe(false)
      expect(puts).toBe(2)
      yield* TestClock.adjust("1 second")
      expect((yield* limiter.consume("burst", fivePerMinute)).allowed).toBe(false)
      expect(puts).toBe(2)
    }))

  it.effect("an isolate remembers at most 10,000 keys; a forgotten one is counted from KV again", () =>
    Effect.gen(function*() {
      let reads = 0
      const counting = Layer.effect(
        Kv,
        Effect.map(Kv, (kv): KvService => ({
          ...kv,
          getWithMetadata: (key) => Effect.zipRight(Effect.sync(() => reads++), kv.getWithMetadata(key))
        }))
      ).pipe(Layer.provide(KvMemory.layer))
      const limiter = yield* Effect.provide(RateLimiter, RateLimiterKv.layer.pipe(Layer.provide(counting)))
      yield* TestClock.setTime(epoch)
      // Spend a key's window a second at a time, so that every count is written to KV.
      const spend = (key: string) =>
        Effect.repeatN(Effect.zipRight(limiter.consume(key, fivePerMinute), TestClock.adjust("1 second")), 4)
      yield* spend("oldest")
      for (let i = 0; i < 9_998; i++) yield* limiter.consume(`client-${i}`, fivePerMinute)
      yield* spend("recent")
      // 10,000 keys known: both spent windows are denied from memory, without reading KV.
      reads = 0
      expect((yield* limiter.consume("oldest", fivePerMinute)).allowed).toBe(false)
      expect((yield* limiter.consume("recent", fivePerMinute)).allowed).toBe(false)
      expect(reads).toBe(0)
      // One more key: room is made by forgetting the keys opened longest ago, "oldest" among them.
      yield* limiter.consume("one-more", fivePerMinute)
      reads = 0
      expect((yield* limiter.consume("recent", fivePerMinute)).allowed).toBe(false)
      expect(reads).toBe(0)
      // Forgotten here, "oldest" is read from KV, where its count still denies it.
      expect((yield* limiter.consume("oldest", fivePerMinute)).allowed).toBe(false)
      expect(reads).toBe(1)
    }))

  it.effect("making room forgets keys whose count KV holds before a key with a count not yet written", () =>
    run(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      // Two requests in one instant: the first is written, the second is held back (1 write/s).
      yield* limiter.consume("pending", fivePerMinute)
      yield* limiter.consume("pending", fivePerMinute)
      for (let i = 0; i < 9_999; i++) yield* limiter.consume(`client-${i}`, fivePerMinute)
      // The 10,001st key makes room; "pending" is the oldest key but the only one KV is behind on.
      yield* limiter.consume("one-more", fivePerMinute)
      // Still remembered: this is its third request (KV alone says one).
      expect((yield* limiter.consume("pending", fivePerMinute)).remaining).toBe(2)
    })))

  it.effect("a count written by another isolate is honoured", () =>
    run(Effect.gen(function*() {
      const kv = yield* Kv
      yield* kv.put("ratelimit:shared", "5", { expirationTtl: 60, metadata: { windowStart: epoch, windowMillis: 60_000 } })
      const limiter = yield* RateLimiter
      expect((yield* limiter.consume("shared", fivePerMinute)).allowed).toBe(false)
    })))

  it.effect("a stored count from an earlier window, or without a window, does not count", () =>
    run(Effect.gen(function*() {
      const kv = yield* Kv
      yield* kv.put("ratelimit:old", "5", { expirationTtl: 120, metadata: { windowStart: epoch - 60_000, windowMillis: 60_000 } })
      yield* kv.put("ratelimit:bare", "5", { expirationTtl: 120 })
      const limiter = yield* RateLimiter
      expect((yield* limiter.consume("old", fivePerMinute)).remaining).toBe(4)
      expect((yield* limiter.consume("bare", fivePerMinute)).remaining).toBe(4)
    })))

  it.effect("KV failures surface as RateLimiterError with their reason", () =>
    Effect.gen(function*() {
      const failing = Layer.effect(
        Kv,
        Effect.map(Kv, (kv): KvService => ({
          ...kv,
          getWithMetadata: () => Effect.fail(new KvError({ operation: "get", reason: "Unavailable", message: "KV GET failed: 503" })),
          put: () => Effect.fail(new KvError({ operation: "put", reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" }))
        }))
      ).pipe(Layer.provide(KvMemory.layer))
      const limiter = yield* Effect.provide(RateLimiter, RateLimiterKv.layer.pipe(Layer.provide(failing)))
      expect(yield* Effect.flip(limiter.consume("k", fivePerMinute))).toMatchObject({ _tag: "RateLimiterError", reason: "Unavailable" })
    }))
})
