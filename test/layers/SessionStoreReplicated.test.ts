/**
 * Sign-out under KV's eventual consistency, with `KvReplicated`: each location has its own session
 * store (its own isolate) over its own view of one central KV. No real waiting: TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import * as KvReplicated from "../../src/layers/KvReplicated.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { Kv } from "../../src/services/Kv.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import type { SessionStoreService } from "../../src/services/SessionStore.js"

const epoch = Date.UTC(2026, 10, 28)
const week = 7 * 24 * 3600
const tokenA = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
const tokenB = "ZyXwVuTsRqPoNmLkJiHgFeDcBa543210"

/** A session record as Better Auth writes it at sign-in. */
const recordAt = (token: string, now: number) =>
  JSON.stringify({
    session: {
      id: `id-${token}`,
      token,
      userId: "user1",
      expiresAt: new Date(now + week * 1000).toISOString(),
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString()
    },
    user: {
      id: "user1",
      name: "Ada",
      email: "ada@example.com",
      emailVerified: false,
      createdAt: new Date(epoch).toISOString(),
      updatedAt: new Date(epoch).toISOString()
    }
  })

const locations = ["ams", "sin", "iad"] as const
type Location = typeof locations[number]

/** One session store per location, each over that location's view of the one KV. */
const stores = Effect.gen(function*() {
  const kv = yield* KvReplicated.make({ locations })
  const at = {} as Record<Location, SessionStoreService>
  for (const location of locations) {
    at[location] = yield* Effect.provide(
      SessionStore,
      SessionStoreKv.layer.pipe(Layer.provide([Layer.succeed(Kv, kv.at(location)), SessionConfig.layer()]))
    )
  }
  return at
})

/** Better Auth's sign-in through one location's store: the session, then the user's list. */
const signIn = (store: SessionStoreService, token: string) =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    yield* store.storage.set(token, recordAt(token, now), week)
    const list = JSON.parse(Option.getOrElse(yield* store.storage.get("active-sessions-user1"), () => "[]")) as Array<unknown>
    yield* store.storage.set("active-sessions-user1", JSON.stringify([...list, { token, expiresAt: now + week * 1000 }]), week)
  })

/**
 * What Better Auth's get-session does when it extends a session (internal adapter `updateSession`):
 * reads the record from secondary storage and writes it back with a new expiry.
 */
const betterAuthGetSession = (store: SessionStoreService, token: string) =>
  Effect.gen(function*() {
    const raw = yield* store.storage.get(token)
    if (Option.isNone(raw)) return
    const now = yield* TestClock.currentTimeMillis
    const record = JSON.parse(raw.value) as { session: Record<string, unknown>; user: unknown }
    const expiresAt = new Date(now + week * 1000).toISOString()
    yield* store.storage.set(token, JSON.stringify({ ...record, session: { ...record.session, expiresAt, updatedAt: new Date(now).toISOString() } }), week)
  })

/**
 * Better Auth's "sign out everywhere" (revoke-sessions) through one location: its mark, then every
 * session of the user deleted (its storage delete for the sessions its list names, the database
 * hook on each deleted row for the others, see BetterAuth.ts).
 */
const signOutEverywhere = (store: SessionStoreService, tokens: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    yield* store.storage.set("revoked-sessions-before-user1", String(now), week)
    for (const token of tokens) yield* store.storage.delete(token)
  })

const accepts = (store: SessionStoreService, token: string) => Effect.map(store.lookup(token), Option.isSome)

describe("sign-out across locations (KvReplicated, TestClock)", () => {
  it.effect("a location that cached the session accepts it for at most its cacheTtl (60 s) after sign-out elsewhere", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const at = yield* stores
      yield* signIn(at.ams, tokenA)
      yield* TestClock.adjust("1 hour")
      expect(yield* accepts(at.sin, tokenA)).toBe(true) // sin caches the session now
      yield* TestClock.adjust("10 seconds")
      yield* at.ams.storage.delete(tokenA) // Better Auth's sign-out at ams
      expect(yield* accepts(at.ams, tokenA)).toBe(false)
      expect(yield* accepts(at.iad, tokenA)).toBe(false) // nothing cached at iad: reads the truth
      yield* TestClock.adjust("49999 millis")
      expect(yield* accepts(at.sin, tokenA)).toBe(true) // KV's staleness, as in production
      yield* TestClock.adjust("1 millis")
      expect(yield* accepts(at.sin, tokenA)).toBe(false)
    }))

  it.effect("nothing the stale location does (a refresh, Better Auth's get-session) brings the session back", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const at = yield* stores
      yield* signIn(at.ams, tokenA)
      // A day and more later, so that every read of the session is due for a refresh.
      yield* TestClock.adjust("25 hours")
      expect(yield* accepts(at.sin, tokenA)).toBe(true)
      yield* at.ams.storage.delete(tokenA)
      for (let i = 0; i < 6; i++) {
        yield* TestClock.adjust("9 seconds")
        const refreshed = yield* at.sin.refresh(tokenA)
        expect(Option.isNone(refreshed)).toBe(true) // the signed-out mark stops the write
        yield* betterAuthGetSession(at.sin, tokenA)
        yield* betterAuthGetSession(at.iad, tokenA)
      }
      yield* TestClock.adjust("60 seconds")
      for (const location of locations) expect(yield* accepts(at[location], tokenA)).toBe(false)
      // And for the rest of the session's would-be life.
      for (let day = 0; day < 8; day++) {
        yield* TestClock.adjust("1 day")
        for (const location of locations) {
          yield* betterAuthGetSession(at[location], tokenA)
          expect(yield* accepts(at[location], tokenA)).toBe(false)
          expect(Option.isNone(yield* at[location].refresh(tokenA))).toBe(true)
        }
      }
    }))

  it.effect("sign out everywhere ends every session of the user at every location within 60 s", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const at = yield* stores
      yield* signIn(at.ams, tokenA)
      yield* signIn(at.iad, tokenB)
      yield* TestClock.adjust("2 hours")
      // Every location has both sessions (and the absence of a revocation mark) cached.
      for (const location of locations) {
        expect(yield* accepts(at[location], tokenA)).toBe(true)
        expect(yield* accepts(at[location], tokenB)).toBe(true)
      }
      yield* signOutEverywhere(at.sin, [tokenA, tokenB])
      yield* TestClock.adjust("30 seconds")
      for (const location of locations) {
        yield* at[location].refresh(tokenA)
        yield* betterAuthGetSession(at[location], tokenB)
      }
      yield* TestClock.adjust("29999 millis")
      expect(yield* accepts(at.ams, tokenB)).toBe(true) // still stale somewhere just before 60 s
      yield* TestClock.adjust("1 millis")
      for (const location of locations) {
        expect(yield* accepts(at[location], tokenA)).toBe(false)
        expect(yield* accepts(at[location], tokenB)).toBe(false)
      }
      // Up to and past the moment Better Auth's mark ends: no copy written back in the stale window
      // (by get-session at 30 s) may appear then.
      // Sign-out everywhere was at T; now is T + 60 s. Visit T + 1 d, T + 7 d + 10 s, T + 7 d + 29 s, T + 8 d.
      const steps: ReadonlyArray<Duration.DurationInput> = ["1 day", Duration.seconds(6 * 86400 - 50), "19 seconds", "1 day"]
      for (const step of steps) {
        yield* TestClock.adjust(step)
        for (const location of locations) {
          expect(yield* accepts(at[location], tokenA)).toBe(false)
          expect(yield* accepts(at[location], tokenB)).toBe(false)
        }
      }
    }))
})
