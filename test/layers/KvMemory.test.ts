import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import { Kv } from "../../src/services/Kv.js"
import { cases, runCase } from "./KvConformance.js"

// A realistic epoch (2026-11-28T00:00:00Z) so absolute expirations look like production ones.
const epoch = Date.UTC(2026, 10, 28)
const atEpoch = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.zipRight(TestClock.setTime(epoch), effect)

describe("KvMemory: conformance", () => {
  for (const c of cases) {
    // The 25 MiB case takes seconds on a busy machine.
    it.effect(c.name, () => atEpoch(runCase(c)).pipe(Effect.provide(KvMemory.layer)), 30_000)
  }
})

describe("KvMemory: expiry follows Effect's Clock", () => {
  it.effect("a key put with expirationTtl 60 is readable just before t+60 s and gone at t+60 s", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      yield* kv.put("session", "s", { expirationTtl: 60, metadata: { user: 1 } })
      yield* TestClock.adjust("59999 millis")
      expect(yield* kv.get("session")).toEqual(Option.some("s"))
      expect((yield* kv.list()).keys.map((k) => k.name)).toEqual(["session"])
      yield* TestClock.adjust("1 millis")
      expect(yield* kv.get("session")).toEqual(Option.none())
      expect(yield* kv.getWithMetadata("session")).toEqual(Option.none())
      expect((yield* kv.getMany(["session"])).get("session")).toEqual(Option.none())
      expect((yield* kv.list()).keys).toEqual([])
    }).pipe(atEpoch, Effect.provide(KvMemory.layer)))

  it.effect("each read path drops an expired key on its own", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      yield* Effect.forEach(["a", "b", "c", "d"], (k) => kv.put(k, k, { expirationTtl: 120 }))
      yield* kv.put("forever", "f")
      yield* TestClock.adjust("2 minutes")
      expect(yield* kv.getWithMetadata("a")).toEqual(Option.none())
      expect([...(yield* kv.getMany(["b", "forever"])).entries()]).toEqual([["b", Option.none()], ["forever", Option.some("f")]])
      expect(yield* kv.get("c")).toEqual(Option.none())
      expect((yield* kv.list()).keys).toEqual([{ name: "forever" }])
    }).pipe(atEpoch, Effect.provide(KvMemory.layer)))

  it.effect("expiration is whole seconds: a put at t+0.9 s with TTL 60 expires at t+60 s, as KV rounds down", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      yield* TestClock.adjust("900 millis")
      yield* kv.put("k", "v", { expirationTtl: 60 })
      expect((yield* kv.list()).keys[0]?.expiration).toBe(epoch / 1000 + 60)
      yield* TestClock.adjust("59099 millis")
      expect(yield* kv.get("k")).toEqual(Option.some("v"))
      yield* TestClock.adjust("1 millis")
      expect(yield* kv.get("k")).toEqual(Option.none())
    }).pipe(atEpoch, Effect.provide(KvMemory.layer)))

  it.effect("an absolute expiration is checked against the Clock and expires exactly then", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      const now = epoch / 1000
      const err = yield* Effect.flip(kv.put("k", "v", { expiration: now + 59 }))
      expect(err.reason).toBe("InvalidExpiration")
      expect(err.message).toBe(
        `KV PUT failed: 400 Invalid expiration of ${now + 59}. Expiration times must be at least 60 seconds in the future.`
      )
      yield* kv.put("k", "v", { expiration: now + 60 })
      yield* TestClock.adjust("59 seconds")
      expect(yield* kv.get("k")).toEqual(Option.some("v"))
      yield* TestClock.adjust("1 seconds")
      expect(yield* kv.get("k")).toEqual(Option.none())
    }).pipe(atEpoch, Effect.provide(KvMemory.layer)))

  it.effect("a key rewritten without a TTL no longer expires", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      yield* kv.put("k", "1", { expirationTtl: 60 })
      yield* kv.put("k", "2")
      yield* TestClock.adjust("1 days")
      expect(yield* kv.get("k")).toEqual(Option.some("2"))
    }).pipe(atEpoch, Effect.provide(KvMemory.layer)))
})

describe("KvMemory: layers", () => {
  it.effect("each build of the layer is a fresh, empty store", () =>
    Effect.gen(function*() {
      const put = Effect.flatMap(Kv, (kv) => kv.put("k", "v"))
      const read = Effect.flatMap(Kv, (kv) => kv.get("k"))
      yield* Effect.provide(put, KvMemory.layer)
      expect(yield* Effect.provide(read, KvMemory.layer)).toEqual(Option.none())
      // One build shared by two effects is one store.
      const shared = Layer.fresh(KvMemory.layer)
      expect(yield* Effect.provide(Effect.zipRight(put, read), shared)).toEqual(Option.some("v"))
    }))

  it.effect("enforceWriteRate rejects a second write to one key within a second, as production KV may", () =>
    Effect.gen(function*() {
      const kv = yield* Kv
      yield* kv.put("k", "1")
      const err = yield* Effect.flip(kv.put("k", "2"))
      expect(err).toMatchObject({ reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
      yield* kv.put("other", "x")
      yield* TestClock.adjust("1 seconds")
      yield* kv.put("k", "3")
      expect(yield* kv.get("k")).toEqual(Option.some("3"))
    }).pipe(atEpoch, Effect.provide(KvMemory.layerWith({ enforceWriteRate: true }))))
})
