// The action with the library's test kit: in-memory KV on Effect's clock, a fake database.
import { describe, expect, it } from "@effect/vitest"
import { TestKit } from "edge-auth-state/testing"
import { Effect, TestClock } from "effect"
import * as Members from "../src/actions/Members.js"

describe("members", () => {
  it.effect("counts in D1 on a miss, serves the cache for 5 minutes, then counts again", () => {
    let members = 3
    let queries = 0
    const database = TestKit.fakeDatabase(() => {
      queries++
      return [{ members }]
    })
    return Effect.gen(function*() {
      expect(yield* Members.handler).toEqual({ members: 3, countedAt: new Date(0) })
      members = 4
      yield* TestClock.adjust("299 seconds")
      expect((yield* Members.handler).members).toBe(3)
      expect(queries).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* Members.handler).toEqual({ members: 4, countedAt: new Date(5 * 60_000) })
      expect(queries).toBe(2)
    }).pipe(Effect.provide(TestKit.layer({ database })))
  })

  it.effect("a database failure is a typed 503", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Members.handler)
      expect(error).toMatchObject({ _tag: "ServiceUnavailable", error: "Members unavailable" })
    }).pipe(Effect.provide(TestKit.layer())))
})
