import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as SignInMethods from "../../src/http/actions/SignInMethods.js"
import * as TestKit from "../../src/layers/TestKit.js"

it.effect("sign-in methods are read once a minute per user", () => {
  const queries: Array<unknown> = []
  const database = TestKit.fakeDatabase((_sql, params) => {
    queries.push(params[0])
    return [{ providerId: "credential" }]
  })
  return Effect.gen(function*() {
    yield* TestClock.setTime(Date.UTC(2026, 10, 28))
    expect(yield* SignInMethods.handler).toEqual({ methods: ["credential"] })
    yield* TestClock.adjust("59 seconds")
    yield* SignInMethods.handler // from the cache
    expect(queries).toEqual(["test-user"])
    yield* TestClock.adjust("1 second")
    yield* SignInMethods.handler // expired: read again
    expect(queries).toEqual(["test-user", "test-user"])
  }).pipe(Effect.provide(TestKit.layer({ database })))
})
