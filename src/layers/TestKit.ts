/**
 * Everything a test of a custom action needs, from one import: the in-memory Kv, every service
 * over it, a signed-in test user, and background tasks that run inline. Time comes from Effect's
 * Clock, so under `it.effect` `TestClock` moves every TTL and window.
 *
 * ```ts
 * import { expect, it } from "@effect/vitest"
 * import * as TestKit from "../src/layers/TestKit.js"
 *
 * it.effect("my action", () =>
 *   Effect.gen(function* () {
 *     const result = yield* myAction({ ... })
 *     ...
 *   }).pipe(Effect.provide(TestKit.layer({ database: TestKit.fakeDatabase((sql, params) => rows) })))
 * )
 * ```
 *
 * @module
 */
import { Clock, Context, Duration, Effect, Layer, Schema } from "effect"
import { BackgroundTasks } from "../services/BackgroundTasks.js"
import { CurrentSession, CurrentUser } from "../services/CurrentUser.js"
import { Database, DatabaseError } from "../services/Database.js"
import type { SqlValue } from "../services/Database.js"
import { SessionConfig, SessionRecord, SessionStore } from "../services/SessionStore.js"
import type { Session, SessionConfigShape, User } from "../services/SessionStore.js"
import * as CacheKv from "./CacheKv.js"
import * as KvMemory from "./KvMemory.js"
import * as RateLimiterKv from "./RateLimiterKv.js"
import * as SessionStoreKv from "./SessionStoreKv.js"

/** The test user's session token (32 characters, as Better Auth's). */
export const testToken = "TestKitSessionToken0000000000000"

export const testUser: User = {
  id: "test-user",
  name: "Test User",
  email: "test@example.com",
  emailVerified: true,
  image: null,
  createdAt: new Date(0),
  updatedAt: new Date(0)
}

export interface TestKitOptions {
  /** Overrides fields of the signed-in user. */
  readonly user?: Partial<User>
  /** The database the actions under test query. Default: one that fails every query. */
  readonly database?: Layer.Layer<Database>
  /** Session lifetimes. Default: 7 days, refreshed after 1 day. */
  readonly session?: Partial<SessionConfigShape>
}

/**
 * A `Database` that answers every query with `respond(sql, params)`; rows are decoded with the
 * query's schema, as the real one does.
 */
export const fakeDatabase = (respond: (sql: string, params: ReadonlyArray<SqlValue>) => ReadonlyArray<unknown>) =>
  Layer.succeed(Database, {
    all: (row, sql, ...params) =>
      Effect.try({
        try: () => respond(sql, params),
        catch: (cause) => new DatabaseError({ message: String(cause) })
      }).pipe(
        Effect.flatMap(Schema.decodeUnknown(Schema.Array(row))),
        Effect.mapError((error) => new DatabaseError({ message: error.message }))
      ),
    run: (sql, ...params) =>
      Effect.try({
        try: () => respond(sql, params).length,
        catch: (cause) => new DatabaseError({ message: String(cause) })
      })
  })

const noDatabase = Layer.succeed(Database, {
  all: () => Effect.fail(new DatabaseError({ message: "no database in this test: pass TestKit.layer({ database })" })),
  run: () => Effect.fail(new DatabaseError({ message: "no database in this test: pass TestKit.layer({ database })" }))
})

/** The signed-in user and their session, written to the memory Kv as Better Auth would. */
const signedIn = (user: User) =>
  Layer.effectContext(Effect.gen(function*() {
    const store = yield* SessionStore
    const config = yield* SessionConfig
    const now = yield* Clock.currentTimeMillis
    const session: Session = {
      id: "test-session",
      token: testToken,
      userId: user.id,
      expiresAt: new Date(now + Duration.toMillis(config.expiresIn)),
      createdAt: new Date(now),
      updatedAt: new Date(now),
      ipAddress: "203.0.113.1",
      userAgent: "TestKit"
    }
    const record = yield* Schema.encode(Schema.parseJson(SessionRecord))({ session, user })
    yield* Effect.orDie(store.storage.set(testToken, record, Duration.toSeconds(config.expiresIn)))
    return Context.make(CurrentUser, user).pipe(Context.add(CurrentSession, session))
  }))

/**
 * The test kit: memory Kv, `SessionStore`, `RateLimiter`, `Cache`, `Database`, inline
 * `BackgroundTasks`, and `CurrentUser` / `CurrentSession` for a signed-in test user whose session
 * is in the store. A fresh, empty world each time it is built.
 */
export const layer = (options: TestKitOptions = {}) => {
  const user: User = { ...testUser, ...options.user }
  const base = Layer.mergeAll(
    SessionStoreKv.layer,
    RateLimiterKv.layer,
    CacheKv.layer,
    options.database ?? noDatabase,
    BackgroundTasks.layerInline
  ).pipe(Layer.provideMerge(Layer.merge(KvMemory.layer, SessionConfig.layer(options.session ?? {}))))
  return signedIn(user).pipe(Layer.provideMerge(base))
}
