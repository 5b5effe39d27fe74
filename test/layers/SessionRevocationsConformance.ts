/**
 * One conformance suite for every SessionRevocations backend (memory, Durable Object). Times are
 * read from Effect's Clock, so a case runs on TestClock or on the real clock alike; cases marked
 * `movesClock` move the clock and run only where TestClock reaches the backend's rule (Node, or the
 * object's own methods inside workerd).
 */
import { Clock, Effect, TestClock } from "effect"
import { expect } from "vitest"
import type { SessionRevocationsService } from "../../src/services/SessionRevocations.js"

export interface RevocationCase {
  readonly name: string
  readonly movesClock: boolean
  /** `user(name)` is a user id unique to the run, so runs never share a record. */
  readonly run: (revocations: SessionRevocationsService, user: (name: string) => string) => Effect.Effect<void, unknown>
}

const hour = 3_600_000

export const revocationCases: ReadonlyArray<RevocationCase> = [
  {
    name: "a revoked session is revoked; the user's other sessions and another user's session of that id are live",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        const bob = user("bob")
        yield* revocations.revoke({ userId: alice, sessionId: "s1", expiresAt: now + hour })
        expect(yield* revocations.check({ userId: alice, sessionId: "s1", createdAt: now - 1000 })).toBe("revoked")
        expect(yield* revocations.check({ userId: alice, sessionId: "s2", createdAt: now - 1000 })).toBe("live")
        expect(yield* revocations.check({ userId: bob, sessionId: "s1", createdAt: now - 1000 })).toBe("live")
      })
  },
  {
    name: "revoke-all revokes the sessions created before it and in its millisecond, not those created after",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        yield* revocations.revokeAll({ userId: alice, at: now, expiresAt: now + hour })
        const status = (createdAt: number) => revocations.check({ userId: alice, sessionId: `created-${createdAt}`, createdAt })
        expect(yield* Effect.all([status(now - hour), status(now - 1), status(now), status(now + 1)])).toEqual([
          "revoked",
          "revoked",
          "revoked",
          "live"
        ])
      })
  },
  {
    name: "revoke-all leaves other users alone",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* revocations.revokeAll({ userId: user("alice"), at: now, expiresAt: now + hour })
        expect(yield* revocations.check({ userId: user("bob"), sessionId: "s1", createdAt: now - 1000 })).toBe("live")
        expect(yield* revocations.check({ userId: user("alice"), sessionId: "s1", createdAt: now - 1000 })).toBe("revoked")
      })
  },
  {
    name: "a later revoke-all with an earlier time does not make revoked sessions live again",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        yield* revocations.revokeAll({ userId: alice, at: now, expiresAt: now + hour })
        yield* revocations.revokeAll({ userId: alice, at: now - 60_000, expiresAt: now + hour })
        expect(yield* revocations.check({ userId: alice, sessionId: "s1", createdAt: now - 30_000 })).toBe("revoked")
      })
  },
  {
    name: "revoking a session that has already expired keeps nothing",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        yield* revocations.revoke({ userId: alice, sessionId: "s1", expiresAt: now - 1 })
        yield* revocations.revokeAll({ userId: alice, at: now - hour, expiresAt: now - 1 })
        expect(yield* revocations.check({ userId: alice, sessionId: "s1", createdAt: now - 2 * hour })).toBe("live")
      })
  },
  {
    name: "concurrent revocations of one user's sessions are all kept",
    movesClock: false,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        const ids = Array.from({ length: 20 }, (_, i) => `s${i}`)
        yield* Effect.forEach(ids, (sessionId) => revocations.revoke({ userId: alice, sessionId, expiresAt: now + hour }), {
          concurrency: "unbounded"
        })
        const statuses = yield* Effect.forEach(ids, (sessionId) => revocations.check({ userId: alice, sessionId, createdAt: now - 1000 }), {
          concurrency: "unbounded"
        })
        expect(statuses).toEqual(ids.map(() => "revoked"))
        expect(yield* revocations.check({ userId: alice, sessionId: "s20", createdAt: now - 1000 })).toBe("live")
      })
  },
  {
    name: "a revoked session stays revoked through its expiresAt and is forgotten after it",
    movesClock: true,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const alice = user("alice")
        yield* revocations.revoke({ userId: alice, sessionId: "s1", expiresAt: now + 60_000 })
        yield* revocations.revoke({ userId: alice, sessionId: "s2", expiresAt: now + 120_000 })
        const status = (sessionId: string) => revocations.check({ userId: alice, sessionId, createdAt: now - 1000 })
        yield* TestClock.adjust("60 seconds")
        expect([yield* status("s1"), yield* status("s2")]).toEqual(["revoked", "revoked"])
        yield* TestClock.adjust("1 millis")
        expect([yield* status("s1"), yield* status("s2")]).toEqual(["live", "revoked"])
        // A later revocation of another session does not bring the forgotten one back.
        yield* revocations.revoke({ userId: alice, sessionId: "s3", expiresAt: now + hour })
        expect([yield* status("s1"), yield* status("s2"), yield* status("s3")]).toEqual(["live", "revoked", "revoked"])
      })
  },
  {
    name: "a revoke-all is kept through its expiresAt and forgotten after it; a new one starts afresh",
    movesClock: true,
    run: (revocations, user) =>
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const alice = user("alice")
        yield* revocations.revokeAll({ userId: alice, at: start, expiresAt: start + hour })
        const status = (createdAt: number) => revocations.check({ userId: alice, sessionId: "s1", createdAt })
        yield* TestClock.adjust("1 hour")
        expect(yield* status(start - 1)).toBe("revoked")
        yield* TestClock.adjust("1 millis")
        expect(yield* status(start - 1)).toBe("live")
        const later = yield* Clock.currentTimeMillis
        yield* revocations.revokeAll({ userId: alice, at: later, expiresAt: later + hour })
        expect([yield* status(start - 1), yield* status(later), yield* status(later + 1)]).toEqual(["revoked", "revoked", "live"])
      })
  }
]
