/**
 * Sign-out under KV's eventual consistency, with `KvReplicated`: each location has its own session
 * store (its own isolate) over its own view of one central KV. No real waiting: TestClock. The last
 * block runs the scenarios in both SESSION_REVOCATION modes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import * as KvReplicated from "../../src/layers/KvReplicated.js"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { Kv } from "../../src/services/Kv.js"
import { SessionRevocations, SessionRevocationsError } from "../../src/services/SessionRevocations.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import type { SessionStoreService } from "../../src/services/SessionStore.js"
import { sessionRecord, week } from "./sessionRecords.js"

const epoch = Date.UTC(2026, 10, 28)
const tokenA = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
const tokenB = "ZyXwVuTsRqPoNmLkJiHgFeDcBa543210"

/** A session record as Better Auth writes it at sign-in. */
const recordAt = (token: string, now: number) => sessionRecord({ token, id: `id-${token}`, now, userCreatedAt: epoch })

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

/**
 * The same scenarios in both modes of SESSION_REVOCATION: `eventual` (KV alone) and `immediate`
 * (one record of revocations, strongly consistent, shared by every location, as the Durable Object
 * is). Better Auth's endings as it makes them: its storage delete, then for each deleted row our
 * hooks (the revocation recorded before the row goes, KV's copy ended after), and for sign-out
 * everywhere a revoke-all after the rows.
 */
describe("sign-out across locations in each SESSION_REVOCATION mode (KvReplicated, TestClock)", () => {
  type Mode = "eventual" | "immediate"
  const modes: ReadonlyArray<{ readonly mode: Mode; readonly stale: Duration.DurationInput }> = [
    { mode: "eventual", stale: "60 seconds" },
    { mode: "immediate", stale: 0 }
  ]

  /** One session store per location, over one KV and, in `immediate`, one record of revocations. */
  const storesIn = (mode: Mode) =>
    Effect.gen(function*() {
      const kv = yield* KvReplicated.make({ locations })
      const revocations = mode === "immediate" ? Layer.succeed(SessionRevocations, yield* SessionRevocationsDurableObject.makeMemory) : Layer.empty
      const at = {} as Record<Location, SessionStoreService>
      for (const location of locations) {
        at[location] = yield* Effect.provide(
          SessionStore,
          SessionStoreKv.layer.pipe(Layer.provide([Layer.succeed(Kv, kv.at(location)), SessionConfig.layer(), revocations]))
        )
      }
      return at
    })

  /** The row Better Auth deletes for a session signed in at `createdAt`. */
  const rowOf = (token: string, createdAt: number) => ({ id: `id-${token}`, userId: "user1", expiresAt: new Date(createdAt + week * 1000) })

  /** Better Auth's sign-out through one location (`deleteSession`): KV first, then the row with our hooks. */
  const signOut = (store: SessionStoreService, token: string, createdAt: number) =>
    Effect.gen(function*() {
      yield* store.storage.delete(token)
      yield* store.recordRevocation(rowOf(token, createdAt))
      yield* store.revoke(token)
    })

  /** `revoke-sessions` through one location: every row (with our hooks), Better Auth's mark, then the revoke-all. */
  const signOutEverywhereIn = (store: SessionStoreService, sessions: ReadonlyArray<readonly [string, number]>) =>
    Effect.gen(function*() {
      for (const [token, createdAt] of sessions) yield* store.recordRevocation(rowOf(token, createdAt))
      yield* signOutEverywhere(store, sessions.map(([token]) => token))
      for (const [token] of sessions) yield* store.revoke(token)
      yield* store.recordRevocationOfAll("user1")
    })

  /** How long from now any of `checks` keeps accepting: all are asked every second, up to 61 s. */
  const acceptedFor = (...checks: ReadonlyArray<Effect.Effect<boolean, unknown>>) =>
    Effect.gen(function*() {
      for (let second = 0; second <= 61; second++) {
        if (!(yield* Effect.all(checks)).some(Boolean)) return Duration.seconds(second)
        yield* TestClock.adjust("1 second")
      }
      return Duration.infinity
    })

  for (const { mode, stale } of modes) {
    it.effect(`${mode}: a session signed out at ams is refused at sin, which had it cached, after ${Duration.format(stale) || "0"}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(epoch)
        const at = yield* storesIn(mode)
        yield* signIn(at.ams, tokenA)
        yield* TestClock.adjust("1 hour")
        expect(yield* accepts(at.sin, tokenA)).toBe(true) // sin caches the session now
        yield* signOut(at.ams, tokenA, epoch)
        expect(yield* accepts(at.ams, tokenA)).toBe(false)
        expect(yield* accepts(at.iad, tokenA)).toBe(false)
        expect(yield* acceptedFor(accepts(at.sin, tokenA))).toEqual(Duration.decode(stale))
      }))

    it.effect(`${mode}: sign out everywhere ends every session at every location after ${Duration.format(stale) || "0"}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(epoch)
        const at = yield* storesIn(mode)
        yield* signIn(at.ams, tokenA)
        yield* TestClock.adjust("1 minute")
        yield* signIn(at.iad, tokenB)
        yield* TestClock.adjust("2 hours")
        for (const location of locations) {
          expect(yield* accepts(at[location], tokenA)).toBe(true)
          expect(yield* accepts(at[location], tokenB)).toBe(true)
        }
        yield* signOutEverywhereIn(at.sin, [[tokenA, epoch], [tokenB, epoch + 60_000]])
        const checks = locations.flatMap((location) => [accepts(at[location], tokenA), accepts(at[location], tokenB)])
        expect(yield* acceptedFor(...checks)).toEqual(Duration.decode(stale))
      }))

    it.effect(`${mode}: nothing a stale location does (a refresh, Better Auth's get-session write-back) revives a signed-out session`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(epoch)
        const at = yield* storesIn(mode)
        yield* signIn(at.ams, tokenA)
        yield* TestClock.adjust("25 hours") // every read is due for a refresh
        expect(yield* accepts(at.sin, tokenA)).toBe(true)
        yield* signOut(at.ams, tokenA, epoch)
        const signedOutAt = yield* TestClock.currentTimeMillis
        // At once, in the window KV's cache leaves open, and for the rest of the session's would-be life.
        for (const step of ["0 millis", "10 seconds", "49 seconds", "1 second", "1 day", "6 days"] as const) {
          yield* TestClock.adjust(step)
          const since = (yield* TestClock.currentTimeMillis) - signedOutAt
          for (const location of locations) {
            yield* betterAuthGetSession(at[location], tokenA)
            const refreshed = yield* at[location].refresh(tokenA)
            // eventual: sin's cached copy may be accepted for KV's 60 s (never refreshed nor written back).
            if (mode === "eventual" && since < 60_000) continue
            expect(Option.isNone(refreshed), `${location} +${since} ms`).toBe(true)
            expect(yield* accepts(at[location], tokenA), `${location} +${since} ms`).toBe(false)
          }
        }
      }))
  }

  it.effect("immediate: a sign-in racing the sign-out everywhere (its row not among those ended) is refused at once, everywhere", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const at = yield* storesIn("immediate")
      yield* signIn(at.ams, tokenA)
      yield* TestClock.adjust("1 hour")
      // tokenB signs in at iad in the very millisecond sin signs out everywhere, too late to be among
      // the rows sin ends.
      yield* signIn(at.iad, tokenB)
      yield* signOutEverywhereIn(at.sin, [[tokenA, epoch]])
      for (const location of locations) {
        expect(yield* accepts(at[location], tokenA)).toBe(false)
        expect(yield* accepts(at[location], tokenB)).toBe(false)
      }
      // A sign-in a millisecond later is a new one.
      yield* TestClock.adjust("1 millis")
      const tokenC = "CcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCc"
      yield* signIn(at.iad, tokenC)
      for (const location of locations) expect(yield* accepts(at[location], tokenC)).toBe(true)
    }))

  it.effect("immediate: with the record unreachable, every location refuses to answer for a session (an error, not a session)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const kv = yield* KvReplicated.make({ locations })
      const failing = Layer.succeed(SessionRevocations, {
        check: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "unreachable" })),
        revoke: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "unreachable" })),
        revokeAll: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "unreachable" }))
      })
      const store = (location: Location) =>
        Effect.provide(SessionStore, SessionStoreKv.layer.pipe(Layer.provide([Layer.succeed(Kv, kv.at(location)), SessionConfig.layer(), failing])))
      yield* signIn(yield* store("ams"), tokenA)
      for (const location of locations) {
        expect(yield* Effect.flip((yield* store(location)).lookup(tokenA))).toMatchObject({ _tag: "SessionStoreError", reason: "RevocationsUnavailable" })
      }
    }))
})
