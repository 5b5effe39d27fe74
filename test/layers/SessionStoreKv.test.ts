import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import * as KvFaults from "../../src/layers/KvFaults.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { Kv, KvError } from "../../src/services/Kv.js"
import { SessionIndex } from "../../src/services/SessionIndex.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"

const epoch = Date.UTC(2026, 10, 28)
const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
const week = 7 * 24 * 3600

/** A session record as Better Auth writes it at sign-in, `now` being the Clock's time. */
const recordAt = (now: number, life = week) =>
  JSON.stringify({
    session: {
      id: "sess1",
      token,
      userId: "user1",
      expiresAt: new Date(now + life * 1000).toISOString(),
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      ipAddress: "203.0.113.9",
      userAgent: "test",
      customField: "kept"
    },
    user: {
      id: "user1",
      name: "Ada",
      email: "ada@example.com",
      emailVerified: false,
      image: null,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString()
    }
  })

const StoreLive = SessionStoreKv.layer.pipe(Layer.provideMerge(Layer.merge(KvMemory.layer, SessionConfig.layer())))

const signIn = Effect.gen(function*() {
  const store = yield* SessionStore
  // Better Auth's sign-in: the session under its token with a 7-day TTL, and the user's list.
  yield* store.storage.set(token, recordAt(epoch), week)
  yield* store.storage.set("active-sessions-user1", JSON.stringify([{ token, expiresAt: epoch + week * 1000 }]), week)
})

const setup = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  TestClock.setTime(epoch).pipe(Effect.zipRight(signIn), Effect.zipRight(effect), Effect.provide(StoreLive))

describe("SessionStore over Kv", () => {
  it.effect("a session lives at session:<token> with a KV TTL of its remaining life", () =>
    setup(Effect.gen(function*() {
      const kv = yield* Kv
      const listed = yield* kv.list()
      expect(listed.keys.map((k) => [k.name, k.expiration])).toEqual([
        ["auth:active-sessions-user1", epoch / 1000 + week],
        [`session:${token}`, epoch / 1000 + week]
      ])
      const stored = yield* kv.get(`session:${token}`)
      expect(JSON.parse(Option.getOrThrow(stored)).session.token).toBe(token)
    })))

  it.effect("a session is valid at 7 days minus 1 second and gone at 7 days", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* TestClock.adjust(Duration.subtract(Duration.days(7), Duration.seconds(1)))
      const found = yield* store.lookup(token)
      expect(Option.map(found, (r) => r.user.email)).toEqual(Option.some("ada@example.com"))
      yield* TestClock.adjust("1 second")
      expect(yield* store.lookup(token)).toEqual(Option.none())
      expect(yield* store.storage.get(token)).toEqual(Option.none())
    })))

  it.effect("a TTL under KV's 60 s minimum is stored at 60 s and still ends on time", () =>
    Effect.gen(function*() {
      const store = yield* SessionStore
      const kv = yield* Kv
      yield* store.storage.set("verification:abc", "v", 10)
      expect((yield* kv.list()).keys).toEqual([
        { name: "auth:verification:abc", expiration: epoch / 1000 + 60, metadata: { expiresAt: epoch + 10_000 } }
      ])
      yield* TestClock.adjust("9999 millis")
      expect(yield* store.storage.get("verification:abc")).toEqual(Option.some("v"))
      yield* TestClock.adjust("1 millis")
      expect(yield* store.storage.get("verification:abc")).toEqual(Option.none())
    }).pipe((e) => Effect.zipRight(TestClock.setTime(epoch), e), Effect.provide(StoreLive)))

  it.effect("a TTL of 0 or less deletes; no TTL keeps the value", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* store.storage.set(token, recordAt(epoch), 0)
      expect(yield* store.lookup(token)).toEqual(Option.none())
      yield* store.storage.set("k", "v")
      yield* store.storage.set("k2", "v", 120)
      yield* store.storage.set("k2", "v", -5)
      expect(yield* store.storage.get("k2")).toEqual(Option.none())
      yield* TestClock.adjust("3650 days")
      expect(yield* store.storage.get("k")).toEqual(Option.some("v"))
    })))

  it.effect("fractional TTLs never reach KV as invalid TTLs", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* store.storage.set("a", "v", 0.4)
      yield* store.storage.set("b", "v", 90.5)
      const kv = yield* Kv
      expect((yield* kv.list({ prefix: "auth:b" })).keys[0]?.expiration).toBe(epoch / 1000 + 91)
      yield* TestClock.adjust("400 millis")
      expect(yield* store.storage.get("a")).toEqual(Option.none())
    })))

  it.effect("refresh does nothing before updateAge, then gives the session its full life again", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      const kv = yield* Kv
      yield* TestClock.adjust("23 hours")
      const early = yield* store.refresh(token)
      expect(Option.map(early, (r) => r.session.expiresAt.getTime())).toEqual(Option.some(epoch + week * 1000))

      yield* TestClock.adjust("1 hours")
      const now = epoch + 24 * 3600 * 1000
      const refreshed = yield* store.refresh(token)
      expect(Option.map(refreshed, (r) => r.session.expiresAt.getTime())).toEqual(Option.some(now + week * 1000))
      const listed = yield* kv.list()
      expect(listed.keys.map((k) => [k.name, k.expiration])).toEqual([
        ["auth:active-sessions-user1", now / 1000 + week],
        [`session:${token}`, now / 1000 + week]
      ])
      // Fields this project does not model are kept as Better Auth wrote them.
      const stored = JSON.parse(Option.getOrThrow(yield* kv.get(`session:${token}`)))
      expect(stored.session.customField).toBe("kept")
      expect(stored.session.updatedAt).toBe(new Date(now).toISOString())

      // Still valid a second before the new expiry; gone at it.
      yield* TestClock.adjust(Duration.subtract(Duration.days(7), Duration.seconds(1)))
      expect(Option.isSome(yield* store.lookup(token))).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(yield* store.refresh(token)).toEqual(Option.none())
    })))

  it.effect("revoke deletes session:<token>", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* store.revoke(token)
      expect(yield* store.lookup(token)).toEqual(Option.none())
      expect(yield* (yield* Kv).get(`session:${token}`)).toEqual(Option.none())
    })))

  it.effect("a token of the wrong shape, a corrupt record, or a record for another token is no session", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      const kv = yield* Kv
      expect(yield* store.lookup("x".repeat(600))).toEqual(Option.none())
      expect(yield* store.lookup("")).toEqual(Option.none())
      const other = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
      yield* kv.put(`session:${other}`, "{not json")
      expect(yield* store.lookup(other)).toEqual(Option.none())
      yield* kv.put(`session:${other}`, recordAt(epoch))
      expect(yield* store.lookup(other)).toEqual(Option.none())
    })))

  it.effect("Better Auth's other keys live under auth:", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* store.storage.set("revoked-sessions-before-user1", "123", 86400)
      const names = (yield* (yield* Kv).list()).keys.map((k) => k.name)
      expect(names).toContain("auth:revoked-sessions-before-user1")
    })))
})

describe("SessionStore: signing out, everywhere and late", () => {
  it.effect("Better Auth's revocation mark is not read: every ended session's key is deleted instead", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      yield* TestClock.adjust("1 minute")
      yield* store.storage.set("revoked-sessions-before-user1", String(epoch + 30_000), 86400)
      // A lookup is one KV read; revocation deletes the session's key (see the index tests below).
      expect(Option.isSome(yield* store.lookup(token))).toBe(true)
    })))

  it.effect("a stale copy of a signed-out session is never refreshed back to life", () =>
    setup(Effect.gen(function*() {
      const store = yield* SessionStore
      const kv = yield* Kv
      yield* store.storage.delete(token) // Better Auth's sign-out
      expect(yield* kv.get(`session:${token}`)).toEqual(Option.none())
      // Another location still serves its cached copy, a day later, when a refresh is due.
      yield* TestClock.adjust("1 day")
      yield* kv.put(`session:${token}`, recordAt(epoch), { expirationTtl: 6 * 86400 })
      expect(yield* store.refresh(token)).toEqual(Option.none())
      const stillStale = JSON.parse(Option.getOrThrow(yield* kv.get(`session:${token}`)))
      expect(stillStale.session.expiresAt).toBe(new Date(epoch + week * 1000).toISOString())
    })))

  it.effect("a refresh KV will not write still returns the session that was read", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const kv = yield* Kv
      yield* kv.put(`session:${token}`, recordAt(epoch), { expirationTtl: week })
      yield* TestClock.adjust("2 days")
      const store = yield* Effect.provide(
        SessionStore,
        SessionStoreKv.layer.pipe(
          Layer.provide(Layer.merge(KvFaults.layer({ errorRate: 1, operations: ["put"] }).pipe(Layer.provide(Layer.succeed(Kv, kv))), SessionConfig.layer()))
        )
      )
      const refreshed = yield* store.refresh(token)
      expect(Option.map(refreshed, (r) => r.session.expiresAt.getTime())).toEqual(Option.some(epoch + week * 1000))
    }).pipe(Effect.provide(KvMemory.layer)))
})

describe("SessionStore with a session index: no ended session is written back", () => {
  /** The index as a set of live tokens, ended by deleting them (as Better Auth deletes rows). */
  const live = new Set<string>()
  const expiries = new Map<string, number>()
  const IndexLive = Layer.succeed(SessionIndex, {
    isLive: (t) => Effect.succeed(live.has(t)),
    extend: (t, expiresAt) => Effect.sync(() => (live.has(t) ? (expiries.set(t, expiresAt.getTime()), true) : false))
  })
  const Indexed = SessionStoreKv.layer.pipe(Layer.provideMerge(Layer.mergeAll(KvMemory.layer, SessionConfig.layer(), IndexLive)))

  it.effect("a stale copy written after the session ended is refused and not stored", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const store = yield* SessionStore
      const kv = yield* Kv
      live.add(token)
      yield* store.storage.set(token, recordAt(epoch), week)
      expect(Option.isSome(yield* kv.get(`session:${token}`))).toBe(true)
      live.delete(token) // ended: the row is gone, then the key
      yield* store.storage.delete(token)
      // Better Auth's get-session refresh at a location that still served the old copy.
      yield* store.storage.set(token, recordAt(epoch), week)
      expect(yield* kv.get(`session:${token}`)).toEqual(Option.none())
      expect(yield* store.lookup(token)).toEqual(Option.none())
    }).pipe(Effect.provide(Indexed)))

  it.effect("a refresh extends the session in the index first; an ended one is refused there", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const store = yield* SessionStore
      const kv = yield* Kv
      live.add(token)
      yield* store.storage.set(token, recordAt(epoch), week)
      yield* TestClock.adjust("2 days")
      const refreshed = yield* store.refresh(token)
      expect(Option.map(refreshed, (r) => r.session.expiresAt.getTime())).toEqual(Option.some(epoch + (2 * 86400 + week) * 1000))
      expect(expiries.get(token)).toBe(epoch + (2 * 86400 + week) * 1000)
      // Ended elsewhere; this location still has the key, and drops it.
      live.delete(token)
      yield* TestClock.adjust("2 days")
      expect(yield* store.refresh(token)).toEqual(Option.none())
      expect(yield* kv.get(`session:${token}`)).toEqual(Option.none())
    }).pipe(Effect.provide(Indexed)))
})

describe("SessionStore: the Bearer path's cost", () => {
  it.effect("validating a session no refresh is due for reads KV once and writes nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epoch)
      const kv = yield* Kv
      yield* kv.put(`session:${token}`, recordAt(epoch), { expirationTtl: week })
      const calls: Array<string> = []
      const counting = Layer.succeed(Kv, new Proxy(kv, {
        get: (target, name: string) => (...args: Array<unknown>) => {
          calls.push(name)
          return (target as unknown as Record<string, (...a: Array<unknown>) => unknown>)[name]!(...args)
        }
      }))
      const store = yield* Effect.provide(SessionStore, SessionStoreKv.layer.pipe(Layer.provide(Layer.merge(counting, SessionConfig.layer()))))
      yield* TestClock.adjust("1 hour")
      expect(Option.isSome(yield* store.refresh(token))).toBe(true)
      expect(calls).toEqual(["getWithMetadata"])
    }).pipe(Effect.provide(KvMemory.layer)))
})

describe("SessionStore when KV fails", () => {
  const failing = Layer.succeed(Kv, {
    get: () => Effect.fail(new KvError({ operation: "get", reason: "Unavailable", message: "KV GET failed: 503" })),
    getWithMetadata: () => Effect.fail(new KvError({ operation: "get", reason: "Unavailable", message: "KV GET failed: 503" })),
    getJson: () => Effect.fail(new KvError({ operation: "get", reason: "Unavailable", message: "KV GET failed: 503" })),
    getMany: () => Effect.fail(new KvError({ operation: "get", reason: "Unavailable", message: "KV GET failed: 503" })),
    put: () => Effect.fail(new KvError({ operation: "put", reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })),
    putJson: () => Effect.fail(new KvError({ operation: "put", reason: "Unavailable", message: "KV PUT failed: 503" })),
    delete: () => Effect.fail(new KvError({ operation: "delete", reason: "Unavailable", message: "KV DELETE failed: 503" })),
    list: () => Effect.fail(new KvError({ operation: "list", reason: "Unavailable", message: "KV GET failed: 503" }))
  })
  const Live = SessionStoreKv.layer.pipe(Layer.provide(Layer.merge(failing, SessionConfig.layer())))

  it.effect("reads fail with SessionStoreError Unavailable, writes keep WriteRateLimited", () =>
    Effect.gen(function*() {
      const store = yield* SessionStore
      expect(yield* Effect.flip(store.lookup(token))).toMatchObject({ _tag: "SessionStoreError", reason: "Unavailable" })
      expect(yield* Effect.flip(store.storage.get(token))).toMatchObject({ _tag: "SessionStoreError", reason: "Unavailable" })
      expect(yield* Effect.flip(store.storage.set("k", "v", 100))).toMatchObject({ reason: "WriteRateLimited" })
    }).pipe(Effect.provide(Live)))
})
