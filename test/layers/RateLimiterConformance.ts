/**
 * One conformance suite for every RateLimiter backend (KV, Durable Object, Rate Limiting binding).
 * Cases marked `movesClock` move Effect's clock and run in Node under TestClock; the others also
 * run inside workerd against the real bindings, on the real clock, away from a window's edge.
 */
import { Duration, Effect, TestClock } from "effect"
import { expect } from "vitest"
import type { RateLimitPolicy, RateLimiterService } from "../../src/services/RateLimiter.js"

export interface LimiterCase {
  readonly name: string
  readonly movesClock: boolean
  /** `key` is unique to the run, so runs never share a bucket. */
  readonly run: (limiter: RateLimiterService, key: string) => Effect.Effect<void, unknown>
}

const policy: RateLimitPolicy = { limit: 5, window: "60 seconds" }

const consumeMany = (limiter: RateLimiterService, key: string, n: number, p = policy) =>
  Effect.forEach(Array.from({ length: n }), () => limiter.consume(key, p))

export const limiterCases: ReadonlyArray<LimiterCase> = [
  {
    name: "admits exactly the limit in a window, then refuses; remaining counts down",
    movesClock: false,
    run: (limiter, key) =>
      Effect.gen(function*() {
        const decisions = yield* consumeMany(limiter, key, 8)
        expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false])
        expect(decisions.map((d) => d.limit)).toEqual(Array(8).fill(5))
        expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0])
        for (const d of decisions) {
          expect(Duration.toMillis(d.resetAfter)).toBeGreaterThan(0)
          expect(Duration.toMillis(d.resetAfter)).toBeLessThanOrEqual(60_000)
        }
      })
  },
  {
    name: "keys are counted apart",
    movesClock: false,
    run: (limiter, key) =>
      Effect.gen(function*() {
        const first = yield* consumeMany(limiter, `${key}:a`, 6)
        const second = yield* consumeMany(limiter, `${key}:b`, 6)
        expect(first.filter((d) => d.allowed).length).toBe(5)
        expect(second.filter((d) => d.allowed).length).toBe(5)
        const other = yield* consumeMany(limiter, `${key}:c`, 4, { limit: 3, window: "60 seconds" })
        expect(other.map((d) => d.allowed)).toEqual([true, true, true, false])
      })
  },
  {
    name: "a burst of concurrent requests admits exactly the limit",
    movesClock: false,
    run: (limiter, key) =>
      Effect.gen(function*() {
        const decisions = yield* Effect.all(Array.from({ length: 20 }, () => limiter.consume(key, policy)), {
          concurrency: "unbounded"
        })
        expect(decisions.filter((d) => d.allowed).length).toBe(5)
      })
  },
  {
    name: "windows are aligned to the epoch: resetAfter is the time to the window's end, then the count starts again",
    movesClock: true,
    run: (limiter, key) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.UTC(2026, 10, 28, 12, 0, 15))
        const decisions = yield* consumeMany(limiter, key, 6)
        expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false])
        expect(Duration.toMillis(decisions[5]!.resetAfter)).toBe(45_000)
        yield* TestClock.adjust("44999 millis")
        expect((yield* limiter.consume(key, policy)).allowed).toBe(false)
        yield* TestClock.adjust("1 millis")
        const next = yield* consumeMany(limiter, key, 6)
        expect(next.map((d) => d.allowed)).toEqual([true, true, true, true, true, false])
        expect(next[0]!.remaining).toBe(4)
        expect(Duration.toMillis(next[0]!.resetAfter)).toBe(60_000)
      })
  },
  {
    name: "a 10-second window ends on time",
    movesClock: true,
    run: (limiter, key) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.UTC(2026, 10, 28, 12, 0, 0))
        const ten: RateLimitPolicy = { limit: 2, window: "10 seconds" }
        expect((yield* consumeMany(limiter, key, 3, ten)).map((d) => d.allowed)).toEqual([true, true, false])
        yield* TestClock.adjust("10 seconds")
        expect((yield* consumeMany(limiter, key, 3, ten)).map((d) => d.allowed)).toEqual([true, true, false])
      })
  }
]
