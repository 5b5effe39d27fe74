// The kit's signed-in session begins when the test first uses it, wherever the test set the clock.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as TestKit from "../../src/layers/TestKit.js"
import { CurrentSession, CurrentUser } from "../../src/services/CurrentUser.js"
import { Kv } from "../../src/services/Kv.js"
import { SessionStore } from "../../src/services/SessionStore.js"

const late2026 = Date.UTC(2026, 10, 28, 12, 0, 0)

describe("TestKit's signed-in session", () => {
  it.effect("is live after the test sets the clock to 2026, and ends 7 days later", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(late2026)
      const store = yield* SessionStore
      const found = yield* store.lookup(TestKit.testToken)
      expect(Option.map(found, (record) => record.session.expiresAt.getTime())).toEqual(Option.some(late2026 + 7 * 86_400_000))
      const session = yield* CurrentSession
      expect(session.createdAt.getTime()).toBe(late2026)
      yield* TestClock.adjust("7 days")
      expect(yield* store.lookup(TestKit.testToken)).toEqual(Option.none())
    }).pipe(Effect.provide(TestKit.layer())))

  it.effect("read through CurrentSession first, it begins then, and the store agrees", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(late2026)
      const session = yield* CurrentSession
      yield* TestClock.adjust("1 hour")
      const record = yield* (yield* SessionStore).lookup(TestKit.testToken)
      expect(Option.map(record, (r) => r.session.expiresAt)).toEqual(Option.some(session.expiresAt))
      expect(session.expiresAt.getTime()).toBe(late2026 + 7 * 86_400_000)
    }).pipe(Effect.provide(TestKit.layer())))

  it.effect("TestKit.layer({ session: { expiresIn } }) ends it on time, counted from its start", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(late2026)
      const store = yield* SessionStore
      expect(Option.isSome(yield* store.lookup(TestKit.testToken))).toBe(true)
      yield* TestClock.adjust("59 minutes")
      expect(Option.isSome(yield* store.lookup(TestKit.testToken))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(yield* store.lookup(TestKit.testToken)).toEqual(Option.none())
    }).pipe(Effect.provide(TestKit.layer({ session: { expiresIn: "1 hour" } }))))

  it.effect("a session whose life passed before its first store use is never written", () =>
    Effect.gen(function*() {
      yield* CurrentSession // begins at time 0
      yield* TestClock.setTime(late2026)
      expect(yield* (yield* SessionStore).lookup(TestKit.testToken)).toEqual(Option.none())
      expect((yield* (yield* Kv).list()).keys).toEqual([])
    }).pipe(Effect.provide(TestKit.layer({ session: { expiresIn: "1 hour" } }))))

  it.effect("the user is the kit's, with the overrides given", () =>
    Effect.gen(function*() {
      const user = yield* CurrentUser
      expect(user).toMatchObject({ id: "test-user", email: "ada@example.com" })
    }).pipe(Effect.provide(TestKit.layer({ user: { email: "ada@example.com" } }))))
})
