/**
 * How accurate a KV counter is when several isolates count one key: a deterministic simulation on
 * the memory Kv and TestClock. Each "isolate" is its own RateLimiter over the one shared KV.
 * The figures printed here are the ones quoted in the README.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import { Kv } from "../../src/services/Kv.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"

const epoch = Date.UTC(2026, 10, 28, 12, 0, 0)
const policy = { limit: 5, window: "60 seconds" } as const

/** Admitted requests in one window when `isolates` share the key and requests arrive every `gapMillis`. */
const admitted = (isolates: number, gapMillis: number, requests: number) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(epoch)
    const kv = yield* Kv
    const limiters = yield* Effect.forEach(
      Array.from({ length: isolates }),
      () => Effect.provide(RateLimiter, RateLimiterKv.layer.pipe(Layer.provide(Layer.succeed(Kv, kv))))
    )
    let allowed = 0
    for (let i = 0; i < requests; i++) {
      const decision = yield* limiters[i % isolates]!.consume("203.0.113.1:sign-in", policy)
      if (decision.allowed) allowed++
      if (gapMillis > 0) yield* TestClock.adjust(`${gapMillis} millis`)
    }
    return allowed
  }).pipe(Effect.provide(KvMemory.layer))

describe("KV counter accuracy across isolates (limit 5 per 60 s)", () => {
  it.effect("one isolate: exact at any request rate", () =>
    Effect.gen(function*() {
      expect(yield* admitted(1, 0, 50)).toBe(5)
      expect(yield* admitted(1, 100, 50)).toBe(5)
    }))

  it.effect("several isolates: requests a second or more apart are counted exactly; a burst can reach isolates × limit", () =>
    Effect.gen(function*() {
      const rows: Array<string> = []
      for (const isolates of [2, 4, 8]) {
        const spaced = yield* admitted(isolates, 1000, 40)
        const fast = yield* admitted(isolates, 100, 40)
        const burst = yield* admitted(isolates, 0, 40)
        rows.push(`isolates=${isolates}: 1 req/s -> ${spaced} admitted, 10 req/s -> ${fast}, all at one instant -> ${burst}`)
        expect(spaced).toBe(5)
        expect(fast).toBeLessThanOrEqual(isolates * 5)
        expect(burst).toBeLessThanOrEqual(isolates * 5)
      }
      console.log(["rate limiter accuracy (limit 5):", ...rows].join("\n  "))
    }))
})
