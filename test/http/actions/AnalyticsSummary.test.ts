// The example action, tested as a user tests their own: with the kit, a fake database and TestClock.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as AnalyticsSummary from "../../../src/http/actions/AnalyticsSummary.js"
import * as TestKit from "../../../src/layers/TestKit.js"
import { CurrentUser } from "../../../src/services/CurrentUser.js"
import { Kv } from "../../../src/services/Kv.js"
import { SessionStore } from "../../../src/services/SessionStore.js"

const epoch = Date.UTC(2026, 10, 28, 12, 0, 0)

/** A database that answers the summary's two queries and counts them. */
const analyticsDb = () => {
  const seen: Array<{ sql: string; params: ReadonlyArray<unknown> }> = []
  const layer = TestKit.fakeDatabase((sql, params) => {
    seen.push({ sql, params })
    return sql.includes("count(distinct")
      ? [{ totalViews: 1200, uniquePaths: 3 }]
      : [{ path: "/", views: 800 }, { path: "/docs", views: 300 }, { path: "/pricing", views: 100 }]
  })
  return { layer, seen }
}

describe("the analytics summary action, with the test kit", () => {
  it.effect("queries D1 on a miss, serves the cache for 5 minutes, then queries again", () => {
    const db = analyticsDb()
    return Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const first = yield* AnalyticsSummary.handler({ days: 7 })
      expect(first).toMatchObject({ days: 7, from: "2026-11-22", to: "2026-11-28", totalViews: 1200, uniquePaths: 3 })
      expect(first.topPaths[0]).toEqual({ path: "/", views: 800 })
      expect(db.seen).toHaveLength(2)
      expect(db.seen[0]!.params).toEqual(["2026-11-22", "2026-11-28"])

      yield* TestClock.adjust("4 minutes")
      const cached = yield* AnalyticsSummary.handler({ days: 7 })
      expect(cached.generatedAt).toEqual(first.generatedAt)
      expect(db.seen).toHaveLength(2)

      yield* TestClock.adjust("1 minute")
      const recomputed = yield* AnalyticsSummary.handler({ days: 7 })
      expect(recomputed.generatedAt.getTime()).toBe(epoch + 5 * 60_000)
      expect(db.seen).toHaveLength(4)
    }).pipe(Effect.provide(TestKit.layer({ database: db.layer })))
  })

  it.effect("a database failure is a typed 503, never a defect", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnalyticsSummary.handler({ days: 7 }))
      expect(error).toMatchObject({ _tag: "ServiceUnavailable", error: "Analytics unavailable" })
    }).pipe(Effect.provide(TestKit.layer())))

  it.effect("the kit signs a user in: CurrentUser, and a live session in the store", () =>
    Effect.gen(function*() {
      const user = yield* CurrentUser
      expect(user.email).toBe("ada@example.com")
      const store = yield* SessionStore
      const session = yield* store.lookup(TestKit.testToken)
      expect(Option.map(session, (s) => s.user.id)).toEqual(Option.some(user.id))
      const keys = (yield* (yield* Kv).list()).keys.map((k) => k.name)
      expect(keys).toEqual([`session:${TestKit.testToken}`])
      yield* TestClock.adjust("7 days")
      expect(yield* store.lookup(TestKit.testToken)).toEqual(Option.none())
    }).pipe(Effect.provide(TestKit.layer({ user: { email: "ada@example.com" } }))))
})
