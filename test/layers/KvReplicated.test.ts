import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as KvReplicated from "../../src/layers/KvReplicated.js"
import { Kv } from "../../src/services/Kv.js"
import { cases, runCase } from "./KvConformance.js"

const epoch = Date.UTC(2026, 10, 28)
const atEpoch = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.zipRight(TestClock.setTime(epoch), effect)

const single = Layer.effect(Kv, Effect.map(KvReplicated.make({ locations: ["only"] }), (r) => r.at("only")))

describe("KvReplicated: one location behaves exactly like KvMemory", () => {
  for (const c of cases) {
    it.effect(c.name, () =>
      Effect.gen(function*() {
        const replicated = yield* atEpoch(runCase(c)).pipe(Effect.provide(single))
        const memory = yield* atEpoch(runCase(c)).pipe(Effect.provide(KvMemory.layer))
        expect(replicated).toEqual(memory)
      }), 30_000) // the 25 MiB case runs twice
  }
})

const three = KvReplicated.make({ locations: ["ams", "sin", "iad"] })
const some = Option.some
const none = Option.none()

describe("KvReplicated: per-location caches over one central store", () => {
  it.effect("a write is visible at once where it was made; elsewhere a cached absence hides it for 60 s", () =>
    Effect.gen(function*() {
      const kv = yield* three
      const [a, b, c] = [kv.at("ams"), kv.at("sin"), kv.at("iad")]
      expect(yield* b.get("k")).toEqual(none) // sin caches the absence until +60 s
      yield* TestClock.adjust("10 seconds")
      yield* a.put("k", "v1")
      expect(yield* a.get("k")).toEqual(some("v1"))
      expect(yield* c.get("k")).toEqual(some("v1")) // iad had nothing cached: reads the central store
      expect(yield* b.get("k")).toEqual(none)
      yield* TestClock.adjust("49999 millis")
      expect(yield* b.get("k")).toEqual(none)
      yield* TestClock.adjust("1 millis")
      expect(yield* b.get("k")).toEqual(some("v1"))
    }).pipe(atEpoch))

  it.effect("a cached value is served however stale, until its cacheTtl; a hit does not extend it", () =>
    Effect.gen(function*() {
      const kv = yield* three
      const [a, b] = [kv.at("ams"), kv.at("sin")]
      yield* a.put("k", "v1")
      expect(yield* b.get("k", { cacheTtl: 300 })).toEqual(some("v1"))
      yield* a.put("k", "v2")
      yield* TestClock.adjust("299 seconds")
      expect(yield* b.get("k", { cacheTtl: 30 })).toEqual(some("v1"))
      expect(yield* b.getWithMetadata("k")).toEqual(some({ value: "v1", metadata: none }))
      yield* TestClock.adjust("1 second")
      expect(yield* b.get("k")).toEqual(some("v2"))
      yield* a.delete("k")
      expect(yield* a.get("k")).toEqual(none)
      expect(yield* b.get("k")).toEqual(some("v2"))
      expect((yield* b.list()).keys).toEqual([]) // list reads the central store
      yield* TestClock.adjust("60 seconds")
      expect(yield* b.get("k")).toEqual(none)
    }).pipe(atEpoch))

  it.effect("a location's own write replaces what it had cached, a value or an absence", () =>
    Effect.gen(function*() {
      const kv = yield* three
      const [a, b] = [kv.at("ams"), kv.at("sin")]
      expect(yield* b.get("k", { cacheTtl: 3600 })).toEqual(none)
      yield* b.put("k", "mine")
      expect(yield* b.get("k")).toEqual(some("mine"))
      yield* a.put("k", "theirs")
      expect(yield* b.get("k")).toEqual(some("mine"))
      yield* b.delete("k")
      expect(yield* b.get("k")).toEqual(none)
      expect(yield* a.get("k")).toEqual(some("theirs")) // ams still has its own write cached
      yield* TestClock.adjust("60 seconds")
      expect(yield* a.get("k")).toEqual(none)
    }).pipe(atEpoch))

  it.effect("a cached value never outlives the key's own expiration; the next read goes to the centre", () =>
    Effect.gen(function*() {
      const kv = yield* three
      const [a, b] = [kv.at("ams"), kv.at("sin")]
      yield* a.put("k", "short", { expirationTtl: 60 })
      yield* TestClock.adjust("30 seconds")
      expect(yield* b.get("k", { cacheTtl: 3600 })).toEqual(some("short"))
      yield* a.put("k", "next", { expirationTtl: 600 })
      yield* TestClock.adjust("29999 millis")
      expect(yield* b.get("k")).toEqual(some("short"))
      yield* TestClock.adjust("1 millis")
      expect(yield* b.get("k")).toEqual(some("next"))
    }).pipe(atEpoch))

  it.effect("getMany caches each key on its own; getWithMetadata shares get's cache", () =>
    Effect.gen(function*() {
      const kv = yield* three
      const [a, b] = [kv.at("ams"), kv.at("sin")]
      yield* a.put("x", "x1", { metadata: { n: 1 } })
      expect(yield* b.getWithMetadata("x")).toEqual(some({ value: "x1", metadata: some({ n: 1 }) }))
      yield* a.put("x", "x2")
      yield* a.put("y", "y1")
      expect([...(yield* b.getMany(["x", "y", "z"]))]).toEqual([["x", some("x1")], ["y", some("y1")], ["z", none]])
      yield* a.put("z", "z1")
      expect(yield* b.get("z")).toEqual(none)
      expect(yield* b.get("x")).toEqual(some("x1"))
      yield* TestClock.adjust("60 seconds")
      expect([...(yield* b.getMany(["x", "z"]))]).toEqual([["x", some("x2")], ["z", some("z1")]])
    }).pipe(atEpoch))

  it.effect("every location validates as KvMemory does", () =>
    Effect.gen(function*() {
      const b = (yield* three).at("sin")
      expect(yield* Effect.flip(b.get("k", { cacheTtl: 10 }))).toMatchObject({
        reason: "InvalidCacheTtl",
        message: "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
      })
      expect(yield* Effect.flip(b.put("k", "v", { expirationTtl: 30 }))).toMatchObject({
        message: "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
      })
      // A refused write changes neither the central store nor the writer's cache.
      expect(yield* b.get("k")).toEqual(none)
    }).pipe(atEpoch))

  it.effect("the write-rate limit is the central store's: one write per key per second, from anywhere", () =>
    Effect.gen(function*() {
      const kv = yield* KvReplicated.make({ locations: ["ams", "sin"], enforceWriteRate: true })
      yield* kv.at("ams").put("k", "1")
      expect(yield* Effect.flip(kv.at("sin").put("k", "2"))).toMatchObject({ reason: "WriteRateLimited" })
      expect(yield* kv.at("sin").get("k")).toEqual(some("1"))
    }).pipe(atEpoch))

  it.effect("an unknown location is a defect (UnknownLocation), not a KvError", () =>
    Effect.gen(function*() {
      const kv = yield* three
      expect(() => kv.at("lhr")).toThrow(KvReplicated.UnknownLocation)
      const exit = yield* Effect.exit(Effect.suspend(() => kv.at("lhr").get("k")))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(kv.locations).toEqual(["ams", "sin", "iad"])
      expect(kv.at("ams")).toBe(kv.at("ams"))
    }))

  it.effect("the layer provides a fresh central store as the KvReplicated service", () =>
    Effect.gen(function*() {
      const kv = yield* KvReplicated.KvReplicated
      yield* kv.at("a").put("k", "v")
      expect(yield* kv.at("b").get("k")).toEqual(some("v"))
    }).pipe(Effect.provide(KvReplicated.layer({ locations: ["a", "b"] }))))
})
