import { describe, it } from "@effect/vitest"
import { Clock, Effect, Either, Layer } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterBinding from "../../src/layers/RateLimiterBinding.js"
import * as RateLimiterDurableObject from "../../src/layers/RateLimiterDurableObject.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import type { RateLimiterService } from "../../src/services/RateLimiter.js"
import { limiterCases } from "./RateLimiterConformance.js"

/**
 * A stand-in for the Rate Limiting binding as Miniflare simulates it (fixed windows aligned to the
 * epoch, per key), with its time taken from the Clock of the call that reaches it.
 */
const fakeBindings = () => {
  let now = 0
  const binding = (limit: number, period: number): RateLimiterBinding.RateLimitBinding => {
    const counts = new Map<string, number>()
    return {
      limit: async ({ key }) => {
        const bucket = `${Math.floor(now / (period * 1000))}:${key}`
        const count = counts.get(bucket) ?? 0
        if (count >= limit) return { success: false }
        counts.set(bucket, count + 1)
        return { success: true }
      }
    }
  }
  const env = {
    RATE_LIMIT_5_PER_60S: binding(5, 60),
    RATE_LIMIT_3_PER_60S: binding(3, 60),
    RATE_LIMIT_2_PER_10S: binding(2, 10)
  }
  const planned = Either.getOrThrow(RateLimiterBinding.plan(
    [
      { rule: "a", policy: { limit: 5, window: "60 seconds" } },
      { rule: "b", policy: { limit: 3, window: "60 seconds" } },
      { rule: "c", policy: { limit: 2, window: "10 seconds" } }
    ],
    env
  ))
  const inner = RateLimiterBinding.make(planned)
  return Layer.succeed(RateLimiter, {
    consume: (key, policy) =>
      Effect.flatMap(Clock.currentTimeMillis, (t) => {
        now = t
        return inner.consume(key, policy)
      })
  } satisfies RateLimiterService)
}

const backends: ReadonlyArray<readonly [string, () => Layer.Layer<RateLimiter>]> = [
  ["kv (KvMemory)", () => RateLimiterKv.layer.pipe(Layer.provide(KvMemory.layer))],
  ["durable-object (its counting, in memory)", () => RateLimiterDurableObject.layerMemory],
  ["binding (a stand-in with Miniflare's counting)", fakeBindings]
]

for (const [name, layer] of backends) {
  describe(`RateLimiter conformance: ${name}`, () => {
    for (const c of limiterCases) {
      it.effect(c.name, () => Effect.flatMap(RateLimiter, (limiter) => c.run(limiter, "203.0.113.1:sign-in")).pipe(Effect.provide(layer())))
    }
  })
}
