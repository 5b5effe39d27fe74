import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as Options from "../../src/layers/betterauth/Options.js"
import * as SecondaryStorage from "../../src/layers/betterauth/SecondaryStorage.js"
import { runPromise } from "../../src/services/RequestScheduler.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { Kv } from "../../src/services/Kv.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"

const StoreLive = SessionStoreKv.layer.pipe(Layer.provideMerge(Layer.merge(KvMemory.layer, SessionConfig.layer())))

// Better Auth keeps a copy of each pending verification value (a magic link's, a passkey
// challenge's) in secondary storage with its remaining life. The token itself is consumed from D1;
// this copy's expiry is this project's logic (KV's 60 s minimum, the true expiry in metadata).
describe("a magic link's cache copy in KV", () => {
  it.effect("lives exactly the link's 5 minutes on the Clock", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const storage = SecondaryStorage.make(yield* SessionStore, (effect) => runPromise(runtime, effect))
      const key = "verification:magic-link:n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sTlOXBoo"
      const value = JSON.stringify({ type: "magic-link", email: "ada@example.com" })
      yield* Effect.promise(async () => storage.set(key, value, Options.linkLifetimes.magicLink))
      yield* TestClock.adjust("299 seconds")
      expect(yield* Effect.promise(async () => storage.get(key))).toBe(value)
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.promise(async () => storage.get(key))).toBeNull()
      // Nor does a listing of KV show it.
      expect((yield* (yield* Kv).list({ prefix: "auth:verification:" })).keys).toEqual([])
    }).pipe(Effect.provide(StoreLive)))

  it.effect("a remaining life under KV's 60 s minimum still ends on time", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const storage = SecondaryStorage.make(yield* SessionStore, (effect) => runPromise(runtime, effect))
      yield* Effect.promise(async () => storage.set("verification:magic-link:x", "{}", 20))
      yield* TestClock.adjust("19 seconds")
      expect(yield* Effect.promise(async () => storage.get("verification:magic-link:x"))).toBe("{}")
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.promise(async () => storage.get("verification:magic-link:x"))).toBeNull()
    }).pipe(Effect.provide(StoreLive)))
})
