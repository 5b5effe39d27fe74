import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import * as RateLimiterDurableObject from "../../src/layers/RateLimiterDurableObject.js"
import { countAt, policyKey } from "../../src/services/RateLimitWindows.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import type { RateLimitPolicy } from "../../src/services/RateLimiter.js"

const start = Date.UTC(2026, 10, 28, 12, 0, 0)
const sliding: RateLimitPolicy = { limit: 3, window: "60 seconds", algorithm: "sliding-window" }

describe("RateLimitWindows: the Durable Object's counting", () => {
  it.effect("a sliding window admits at most the limit in any 60 s, wherever the window edge falls", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const at = (ms: number) => Effect.zipRight(TestClock.setTime(start + ms), limiter.consume("k", sliding))
      // A fixed window would admit 3 at 59 s and 3 more at 61 s: 6 within 2 seconds.
      expect((yield* at(59_000)).allowed).toBe(true)
      expect((yield* at(59_500)).allowed).toBe(true)
      expect((yield* at(59_900)).allowed).toBe(true)
      const refused = yield* at(61_000)
      expect(refused.allowed).toBe(false)
      expect(Duration.toMillis(refused.resetAfter)).toBe(58_000) // the hit at 59 s leaves at 119 s
      expect((yield* at(118_999)).allowed).toBe(false)
      const freed = yield* at(119_000)
      expect(freed).toMatchObject({ allowed: true, remaining: 0 })
      expect((yield* at(119_499)).allowed).toBe(false)
      expect((yield* at(119_500)).allowed).toBe(true)
    }).pipe(Effect.provide(RateLimiterDurableObject.layerMemory)))

  it.effect("a fixed window and a sliding one of the same key are kept apart", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const limiter = yield* RateLimiter
      const fixed: RateLimitPolicy = { limit: 3, window: "60 seconds" }
      for (let i = 0; i < 3; i++) expect((yield* limiter.consume("k", fixed)).allowed).toBe(true)
      expect((yield* limiter.consume("k", fixed)).allowed).toBe(false)
      expect((yield* limiter.consume("k", sliding)).allowed).toBe(true)
      expect(policyKey(fixed)).not.toBe(policyKey(sliding))
    }).pipe(Effect.provide(RateLimiterDurableObject.layerMemory)))

  it("a refusal leaves the state as it was; the state says when it can be forgotten", () => {
    const policy: RateLimitPolicy = { limit: 1, window: "10 seconds" }
    const first = countAt(Option.none(), policy, start + 3_000)
    expect(first).toMatchObject({ decision: { allowed: true, remaining: 0 }, expiresAt: start + 10_000 })
    const second = countAt(Option.some(first.state), policy, start + 4_000)
    expect(second.decision.allowed).toBe(false)
    expect(second.state).toEqual(first.state)
    const slid = countAt(Option.none(), { ...policy, algorithm: "sliding-window" }, start + 3_000)
    expect(slid.expiresAt).toBe(start + 13_000)
  })
})
