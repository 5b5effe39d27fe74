import { expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import { Kv } from "../../src/services/Kv.js"

it.effect("a key with a 60 s TTL is gone after 60 s", () =>
  Effect.gen(function*() {
    const kv = yield* Kv
    yield* kv.put("k", "v", { expirationTtl: 60 })
    yield* TestClock.adjust("59 seconds")
    expect(yield* kv.get("k")).toEqual(Option.some("v"))
    yield* TestClock.adjust("1 second")
    expect(yield* kv.get("k")).toEqual(Option.none())
  }).pipe(Effect.provide(KvMemory.layer)))
