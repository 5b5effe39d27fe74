import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as SignInMethods from "../../../src/http/actions/SignInMethods.js"
import * as TestKit from "../../../src/layers/TestKit.js"
import { Authenticated, CurrentSession } from "../../../src/services/CurrentUser.js"
import { Kv } from "../../../src/services/Kv.js"

describe("the sign-in methods action", () => {
  it.effect("each user has an entry of their own: one user's methods are never another's", () => {
    const database = TestKit.fakeDatabase((_sql, params) =>
      params[0] === "test-user" ? [{ providerId: "credential" }] : [{ providerId: "github" }, { providerId: "google" }])
    return Effect.gen(function*() {
      expect(yield* SignInMethods.handler).toEqual({ methods: ["credential"] })
      const session = yield* CurrentSession
      const other = { user: { ...TestKit.testUser, id: "other-user" }, session }
      const theirs = yield* Effect.provideService(SignInMethods.handler, Authenticated, other)
      expect(theirs).toEqual({ methods: ["github", "google"] })
      expect(yield* SignInMethods.handler).toEqual({ methods: ["credential"] })
      const keys = (yield* (yield* Kv).list({ prefix: "cache:" })).keys.map((k) => k.name)
      expect(keys.sort()).toEqual(["cache:sign-in-methods:other-user", "cache:sign-in-methods:test-user"])
    }).pipe(Effect.provide(TestKit.layer({ database })))
  })

  it.effect("a database failure is a typed 503", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(SignInMethods.handler)).toMatchObject({ _tag: "ServiceUnavailable" })
    }).pipe(Effect.provide(TestKit.layer())))
})
