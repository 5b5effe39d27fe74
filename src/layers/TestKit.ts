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
import { Authenticated } from "../services/CurrentUser.js"
import type { SignedIn } from "../services/CurrentUser.js"
import { Database, DatabaseError } from "../services/Database.js"
import type { SqlValue } from "../services/Database.js"
import type { SessionRevocations } from "../services/SessionRevocations.js"
import { SessionConfig, SessionRecord, SessionStore } from "../services/SessionStore.js"
import type { Session, SessionConfigShape, SessionStoreService, User } from "../services/SessionStore.js"
import * as KvMemory from "./KvMemory.js"
import * as Services from "./Services.js"

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
  readonly session?: {
    readonly expiresIn?: Duration.DurationInput
    readonly updateAge?: Duration.DurationInput
  }
  /**
   * A record of revocations every session read asks, as in `SESSION_REVOCATION=immediate`
   * (`SessionRevocationsDurableObject.layerMemory`, on the Clock). Default none, as in `eventual`.
   */
  readonly revocations?: Layer.Layer<SessionRevocations>
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

/**
 * The signed-in user, and their session in the store as Better Auth would write it. The session
 * begins when the test first uses it (its first `SessionStore` call, or its first read of
 * `CurrentSession`), at that moment's `Clock` time, not when the layer is built: a test that sets
 * the clock first (`TestClock.setTime(Date.UTC(2026, 10, 28))`) still finds it live, and it ends
 * `expiresIn` after that start.
 */
const signedIn = (user: User) =>
  Layer.effectContext(Effect.gen(function*() {
    const store = yield* SessionStore
    const config = yield* SessionConfig
    const clock = yield* Effect.clock
    let session: Session | undefined
    /** The session, begun now if it has not begun yet. Synchronous, so `CurrentSession` can read it. */
    const begun = (): Session => {
      if (session !== undefined) return session
      const now = clock.unsafeCurrentTimeMillis()
      session = {
        id: "test-session",
        token: testToken,
        userId: user.id,
        expiresAt: new Date(now + Duration.toMillis(config.expiresIn)),
        createdAt: new Date(now),
        updatedAt: new Date(now),
        ipAddress: "203.0.113.1",
        userAgent: "TestKit"
      }
      return session
    }
    let written = false
    /** Writes the session once, with what is left of its life (nothing, if it already ended). */
    const ensureWritten = Effect.suspend(() => {
      if (written) return Effect.void
      written = true
      const current = begun()
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const remaining = current.expiresAt.getTime() - now
        if (remaining <= 0) return Effect.void
        return Schema.encode(Schema.parseJson(SessionRecord))({ session: current, user }).pipe(
          Effect.flatMap((record) => store.storage.set(testToken, record, remaining / 1000)),
          Effect.orDie
        )
      })
    })
    const after = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipRight(ensureWritten, effect)
    const lazyStore: SessionStoreService = {
      lookup: (token) => after(store.lookup(token)),
      refresh: (token) => after(store.refresh(token)),
      revoke: (token) => after(store.revoke(token)),
      recordRevocation: (session) => after(store.recordRevocation(session)),
      recordRevocationOfAll: (userId) => after(store.recordRevocationOfAll(userId)),
      isRecordedRevoked: (session) => after(store.isRecordedRevoked(session)),
      storage: {
        get: (key) => after(store.storage.get(key)),
        set: (key, value, ttlSeconds) => after(store.storage.set(key, value, ttlSeconds)),
        delete: (key) => after(store.storage.delete(key))
      }
    }
    const signedInRequest: SignedIn = {
      user,
      get session() {
        return begun()
      }
    }
    return Context.make(Authenticated, signedInRequest).pipe(Context.add(SessionStore, SessionStore.of(lazyStore)))
  }))

/**
 * The test kit: memory Kv, `SessionStore`, `RateLimiter`, `Cache`, `Database`, inline
 * `BackgroundTasks`, and `Authenticated` (`CurrentUser` / `CurrentSession`) for a signed-in test
 * user whose session is in the store from the test's first use of it. A fresh, empty world each
 * time it is built.
 */
export const layer = (options: TestKitOptions = {}) => {
  const user: User = { ...testUser, ...options.user }
  const { expiresIn, updateAge } = options.session ?? {}
  const session: Partial<SessionConfigShape> = {
    ...(expiresIn === undefined ? {} : { expiresIn: Duration.decode(expiresIn) }),
    ...(updateAge === undefined ? {} : { updateAge: Duration.decode(updateAge) })
  }
  // The services a worker runs on (`Services.layer`, as the worker builds them), over memory.
  const services = Services.layer({
    kv: KvMemory.layer,
    database: options.database ?? noDatabase,
    session,
    ...(options.revocations === undefined ? {} : { revocations: options.revocations })
  })
  return Layer.merge(signedIn(user), BackgroundTasks.layerInline).pipe(Layer.provideMerge(services))
}
