import { expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as KvReplicated from "../../src/layers/KvReplicated.js"

it.effect("a value changed in Amsterdam is stale in Singapore for up to 60 s", () =>
  Effect.gen(function*() {
    const kv = yield* KvReplicated.make({ locations: ["ams", "sin"] })
    const [ams, sin] = [kv.at("ams"), kv.at("sin")]

    yield* ams.put("flag", "off")
    expect(yield* sin.get("flag")).toEqual(Option.some("off")) // sin now caches "off" for 60 s

    yield* TestClock.adjust("10 seconds")
    yield* ams.put("flag", "on")
    expect(yield* ams.get("flag")).toEqual(Option.some("on")) // the writer sees its write at once
    expect(yield* sin.get("flag")).toEqual(Option.some("off")) // sin serves its cached copy

    yield* TestClock.adjust("50 seconds") // 60 s after sin read it
    expect(yield* sin.get("flag")).toEqual(Option.some("on"))
  }))
