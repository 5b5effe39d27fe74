/**
 * The session store with and without a record of revocations (SESSION_REVOCATION=immediate and
 * eventual), at one location: what each read asks, what each ending records, and what a failing
 * record does. Across locations: SessionStoreReplicated.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { Kv } from "../../src/services/Kv.js"
import type { KvService } from "../../src/services/Kv.js"
import { SessionRevocations, SessionRevocationsError } from "../../src/services/SessionRevocations.js"
import type { SessionRevocationsService } from "../../src/services/SessionRevocations.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import type { SessionStoreError, SessionStoreService } from "../../src/services/SessionStore.js"
import { sessionRecord, week } from "./sessionRecords.js"

const epoch = Date.UTC(2026, 10, 28)
const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
const row = { id: "sess1", userId: "user1", expiresAt: new Date(epoch + week * 1000) }

const recordAt = (now: number, id = "sess1") => sessionRecord({ token, id, now })

/** A service that records every call and passes it on to `inner`. */
const counted = <S extends object>(inner: S, calls: Array<string>): S =>
  new Proxy(inner, {
    get: (target, name: string) => (...args: Array<unknown>) => {
      calls.push(name)
      return (target as unknown as Record<string, (...a: Array<unknown>) => unknown>)[name]!(...args)
    }
  })

/** A record of revocations that cannot be reached. */
const unreachable: SessionRevocationsService = {
  check: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "session revocations object unreachable: reset" })),
  revoke: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "session revocations object unreachable: reset" })),
  revokeAll: () => Effect.fail(new SessionRevocationsError({ reason: "Unavailable", message: "session revocations object unreachable: reset" }))
}

/**
 * A store over memory KV, with `revocations` (immediate) or without (eventual), and the calls it
 * made to each; the session signed in at `epoch`.
 */
const storeWith = (revocations: SessionRevocationsService | undefined) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(epoch)
    const kv = yield* Kv
    yield* kv.put(`session:${token}`, recordAt(epoch), { expirationTtl: week, metadata: { expiresAt: epoch + week * 1000 } })
    const kvCalls: Array<string> = []
    const revocationCalls: Array<string> = []
    const context = Layer.mergeAll(
      Layer.succeed(Kv, counted<KvService>(kv, kvCalls)),
      SessionConfig.layer(),
      revocations === undefined ? Layer.empty : Layer.succeed(SessionRevocations, counted(revocations, revocationCalls))
    )
    const store: SessionStoreService = yield* Effect.provide(SessionStore, SessionStoreKv.layer.pipe(Layer.provide(context)))
    return { store, kvCalls, revocationCalls }
  })

const memory = SessionRevocationsDurableObject.makeMemory

describe("SessionStore, eventual (no record of revocations)", () => {
  it.effect("a Bearer validation reads KV once; recording an ending does nothing", () =>
    Effect.gen(function*() {
      const { store, kvCalls } = yield* storeWith(undefined)
      yield* TestClock.adjust("1 hour")
      expect(Option.isSome(yield* store.refresh(token))).toBe(true)
      expect(kvCalls).toEqual(["getWithMetadata"])
      yield* store.recordRevocation(row)
      expect(yield* store.recordRevocationOfAll("user1")).toEqual(Option.none())
      expect(kvCalls).toEqual(["getWithMetadata"])
      expect(Option.isSome(yield* store.lookup(token))).toBe(true)
    }).pipe(Effect.provide(KvMemory.layer)))
})

describe("SessionStore, immediate (a record of revocations)", () => {
  it.effect("a Bearer validation reads KV once, then asks the record once with the session's user, id and creation time", () =>
    Effect.gen(function*() {
      const { kvCalls, revocationCalls, store } = yield* storeWith(yield* memory)
      yield* TestClock.adjust("1 hour")
      expect(Option.isSome(yield* store.refresh(token))).toBe(true)
      expect(kvCalls).toEqual(["getWithMetadata"])
      expect(revocationCalls).toEqual(["check"])
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("a revoked session is no session to the Bearer path and to Better Auth's reads, though KV still holds it", () =>
    Effect.gen(function*() {
      const { store } = yield* storeWith(yield* memory)
      yield* store.recordRevocation(row)
      expect(yield* store.lookup(token)).toEqual(Option.none())
      expect(yield* store.refresh(token)).toEqual(Option.none())
      expect(yield* store.storage.get(token)).toEqual(Option.none())
      // KV's copy is untouched: the record alone refuses it (another location's cache is such a copy).
      expect(Option.isSome(yield* (yield* Kv).get(`session:${token}`))).toBe(true)
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("another session of the user, and Better Auth's other keys, are unaffected by a revocation", () =>
    Effect.gen(function*() {
      const { store } = yield* storeWith(yield* memory)
      yield* store.recordRevocation({ ...row, id: "another-session" })
      expect(Option.isSome(yield* store.lookup(token))).toBe(true)
      yield* store.storage.set("active-sessions-user1", "[]", 60)
      expect(yield* store.storage.get("active-sessions-user1")).toEqual(Option.some("[]"))
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("revoking all refuses every session created up to that millisecond, not one created after it", () =>
    Effect.gen(function*() {
      const { store } = yield* storeWith(yield* memory)
      yield* TestClock.adjust("1 hour")
      expect(yield* store.recordRevocationOfAll("user1")).toEqual(Option.some(epoch + 3_600_000))
      expect(yield* store.lookup(token)).toEqual(Option.none())
      // A sign-in in the same millisecond, racing the sign-out everywhere: refused too.
      const kv = yield* Kv
      yield* store.storage.set(token, recordAt(epoch + 3_600_000, "racing"), week)
      expect(yield* store.lookup(token)).toEqual(Option.none())
      // One a millisecond later is a new sign-in.
      yield* TestClock.adjust("1 millis")
      yield* store.storage.set(token, recordAt(epoch + 3_600_001, "later"), week)
      expect(Option.isSome(yield* store.lookup(token))).toBe(true)
      expect(Option.isSome(yield* kv.get(`session:${token}`))).toBe(true)
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("a revocation is kept until the session would have expired, and forgotten after", () =>
    Effect.gen(function*() {
      const revocations = yield* memory
      const { store } = yield* storeWith(revocations)
      yield* store.recordRevocation(row)
      yield* TestClock.adjust(`${week * 1000 - 1} millis`)
      expect(yield* store.lookup(token)).toEqual(Option.none())
      expect(yield* revocations.check({ userId: "user1", sessionId: "sess1", createdAt: epoch })).toBe("revoked")
      yield* TestClock.adjust("2 millis")
      expect(yield* revocations.check({ userId: "user1", sessionId: "sess1", createdAt: epoch })).toBe("live")
    }).pipe(Effect.provide(KvMemory.layer)))
})

describe("SessionStore, immediate, when the record cannot be reached", () => {
  it.effect("every read of a session fails with SessionStoreError RevocationsUnavailable: never a session, never none", () =>
    Effect.gen(function*() {
      const { store } = yield* storeWith(unreachable)
      const reads: ReadonlyArray<Effect.Effect<unknown, SessionStoreError>> = [store.lookup(token), store.refresh(token), store.storage.get(token)]
      for (const read of reads) {
        expect(yield* Effect.flip(read)).toMatchObject({
          _tag: "SessionStoreError",
          reason: "RevocationsUnavailable",
          message: "session revocations object unreachable: reset"
        })
      }
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("recording an ending fails with SessionStoreError RevocationsUnavailable", () =>
    Effect.gen(function*() {
      const { store } = yield* storeWith(unreachable)
      expect(yield* Effect.flip(store.recordRevocation(row))).toMatchObject({ _tag: "SessionStoreError", reason: "RevocationsUnavailable" })
      expect(yield* Effect.flip(store.recordRevocationOfAll("user1"))).toMatchObject({ _tag: "SessionStoreError", reason: "RevocationsUnavailable" })
    }).pipe(Effect.provide(KvMemory.layer)))

  it.effect("a read that needs no session (a token of the wrong shape, an unknown token, another key) asks nothing", () =>
    Effect.gen(function*() {
      const { revocationCalls, store } = yield* storeWith(unreachable)
      expect(yield* store.lookup("not-a-token")).toEqual(Option.none())
      expect(yield* store.lookup("ZyXwVuTsRqPoNmLkJiHgFeDcBa543210")).toEqual(Option.none())
      expect(yield* store.storage.get("active-sessions-user1")).toEqual(Option.none())
      expect(revocationCalls).toEqual([])
    }).pipe(Effect.provide(KvMemory.layer)))
})
