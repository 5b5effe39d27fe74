import { expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import { Kv } from "../../src/services/Kv.js"
import { rememberVisit } from "./RememberVisit.js"

it.effect("a visit is remembered for an hour", () =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.UTC(2026, 10, 29))
    yield* rememberVisit("ada")
    const kv = yield* Kv
    expect(yield* kv.get("visit:ada")).toEqual(Option.some("2026-11-29T00:00:00.000Z"))
    yield* TestClock.adjust("1 hour")
    expect(yield* kv.get("visit:ada")).toEqual(Option.none())
  }).pipe(Effect.provide(KvMemory.layer)))
