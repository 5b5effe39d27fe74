/**
 * The session revocations' Durable Object inside workerd: the conformance cases through the real
 * binding (real clock), all of them again on the object's own SQLite storage under TestClock, and
 * its alarm cleanup.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test"
import { Effect, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import type { SessionRevocationsObject } from "../../src/layers/SessionRevocationsDurableObject.js"
import type { SessionRevocationsService } from "../../src/services/SessionRevocations.js"
import { revocationCases } from "./SessionRevocationsConformance.js"

const namespace = () => env.SESSION_REVOCATIONS
const stubOf = (userId: string) => namespace().get(namespace().idFromName(userId))
const uniqueUsers = () => {
  const run = crypto.randomUUID()
  return (name: string) => `${run}:${name}`
}

describe("SessionRevocations conformance in workerd: the Durable Object through its binding", () => {
  for (const c of revocationCases.filter((c) => !c.movesClock)) {
    it(c.name, async () => {
      await Effect.runPromise(c.run(SessionRevocationsDurableObject.make(namespace()), uniqueUsers()))
    })
  }
})

/**
 * The service as the objects' own methods, each call run inside the user's object on the caller's
 * Clock: the rule on the object's real SQLite storage, with TestClock moving its time.
 */
const insideObjects: SessionRevocationsService = {
  check: ({ userId, ...session }) =>
    Effect.clockWith((clock) =>
      Effect.promise(() =>
        runInDurableObject(stubOf(userId), (object: SessionRevocationsObject) => Effect.runPromise(Effect.withClock(object.check(session), clock)))
      )
    ),
  revoke: ({ userId, ...session }) =>
    Effect.clockWith((clock) =>
      Effect.promise(() =>
        runInDurableObject(stubOf(userId), (object: SessionRevocationsObject) => Effect.runPromise(Effect.withClock(object.revoke(session), clock)))
      )
    ).pipe(Effect.asVoid),
  revokeAll: ({ userId, ...revoked }) =>
    Effect.clockWith((clock) =>
      Effect.promise(() =>
        runInDurableObject(stubOf(userId), (object: SessionRevocationsObject) =>
          Effect.runPromise(Effect.withClock(object.revokeAll(revoked), clock)))
      )
    ).pipe(Effect.asVoid)
}

const start = Date.UTC(2026, 10, 28, 12, 0, 0)
const underTestClock = <A>(effect: Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.provide(Effect.zipRight(TestClock.setTime(start), effect), TestContext.TestContext))

describe("SessionRevocations conformance in workerd: the object's rule on its own SQLite storage, under TestClock", () => {
  for (const c of revocationCases) {
    it(c.name, async () => {
      await underTestClock(c.run(insideObjects, uniqueUsers()))
    })
  }
})

const command = (userId: string, body: unknown) =>
  stubOf(userId).fetch("https://session-revocations.internal/", { method: "POST", body: JSON.stringify(body) })

const rows = (state: DurableObjectState) => state.storage.sql.exec<{ record: string }>("SELECT record FROM revocations").toArray()

describe("SessionRevocationsObject: storage and alarm", () => {
  it("checks of a user with nothing revoked leave the object without storage", async () => {
    const user = `never:${crypto.randomUUID()}`
    expect(await (await command(user, { _tag: "Check", sessionId: "s1", createdAt: Date.now() })).json()).toEqual({ status: "live" })
    // A revocation that keeps nothing (the session has already expired) writes nothing either.
    expect(await (await command(user, { _tag: "Revoke", sessionId: "s1", expiresAt: Date.now() - 1 })).json()).toEqual({ done: true })
    await runInDurableObject(stubOf(user), async (_object: SessionRevocationsObject, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master").toArray()).toEqual([])
      expect(await state.storage.getAlarm()).toBeNull()
    })
  })

  it("a revocation schedules the cleanup alarm one millisecond after the earliest expiry", async () => {
    const user = `alarm:${crypto.randomUUID()}`
    const now = Date.now()
    expect(await (await command(user, { _tag: "Revoke", sessionId: "s1", expiresAt: now + 60_000 })).json()).toEqual({ done: true })
    expect(await (await command(user, { _tag: "RevokeAll", at: now, expiresAt: now + 30_000 })).json()).toEqual({ done: true })
    expect(await (await command(user, { _tag: "Revoke", sessionId: "s2", expiresAt: now + 90_000 })).json()).toEqual({ done: true })
    await runInDurableObject(stubOf(user), async (_object: SessionRevocationsObject, state) => {
      expect(await state.storage.getAlarm()).toBe(now + 30_001)
      expect(rows(state)).toHaveLength(1) // one record for the user
    })
  })

  it("cleanup forgets entries only after they expire, and says when to run next", async () => {
    const user = `cleanup:${crypto.randomUUID()}`
    await runInDurableObject(stubOf(user), async (object: SessionRevocationsObject, state) => {
      const at = (millis: number) => <A>(effect: Effect.Effect<A>) =>
        Effect.runPromise(Effect.provide(Effect.zipRight(TestClock.setTime(millis), effect), TestContext.TestContext))
      await at(start)(object.revoke({ sessionId: "s1", expiresAt: start + 1000 }))
      await at(start)(object.revokeAll({ at: start, expiresAt: start + 2000 }))
      expect(await at(start + 1000)(object.cleanup)).toBe(start + 1001)
      expect(await at(start + 1000)(object.check({ sessionId: "s1", createdAt: start + 1 }))).toBe("revoked")
      expect(await at(start + 1001)(object.cleanup)).toBe(start + 2001)
      expect(await at(start + 1001)(object.check({ sessionId: "s1", createdAt: start + 1 }))).toBe("live")
      expect(await at(start + 1001)(object.check({ sessionId: "s1", createdAt: start }))).toBe("revoked")
      expect(await at(start + 2001)(object.cleanup)).toBeUndefined()
      expect(rows(state)).toEqual([])
    })
  })

  it("the alarm forgets expired entries, reschedules for the rest, and leaves an idle object with no storage", async () => {
    const user = `alarm2:${crypto.randomUUID()}`
    const now = Date.now()
    const later = now + 3_600_000
    // Entries already expired by the real clock are written at an earlier TestClock time.
    await runInDurableObject(stubOf(user), async (object: SessionRevocationsObject, state) => {
      const earlier = <A>(effect: Effect.Effect<A>) =>
        Effect.runPromise(Effect.provide(Effect.zipRight(TestClock.setTime(now - 10_000), effect), TestContext.TestContext))
      await earlier(object.revoke({ sessionId: "ended", expiresAt: now - 1 }))
      await earlier(object.revokeAll({ at: now - 10_000, expiresAt: now - 1 }))
      await earlier(object.revoke({ sessionId: "live", expiresAt: later }))
      await state.storage.setAlarm(now + 1_000)
    })
    expect(await runDurableObjectAlarm(stubOf(user))).toBe(true)
    await runInDurableObject(stubOf(user), async (_object: SessionRevocationsObject, state) => {
      expect(rows(state).map((r) => JSON.parse(r.record))).toEqual([{ all: null, sessions: [{ sessionId: "live", expiresAt: later }] }])
      expect(await state.storage.getAlarm()).toBe(later + 1)
    })
    // The last entry expires (by a TestClock past it), and the next alarm finds nothing left.
    await runInDurableObject(stubOf(user), async (object: SessionRevocationsObject, state) => {
      await Effect.runPromise(Effect.provide(Effect.zipRight(TestClock.setTime(later + 1), object.cleanup), TestContext.TestContext))
      expect(rows(state)).toEqual([])
    })
    expect(await runDurableObjectAlarm(stubOf(user))).toBe(true)
    await runInDurableObject(stubOf(user), async (_object: SessionRevocationsObject, state) => {
      const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'revocations'").toArray()
      expect(tables).toEqual([])
      expect(await state.storage.getAlarm()).toBeNull()
    })
    // And it records again afterwards.
    expect(await (await command(user, { _tag: "Revoke", sessionId: "again", expiresAt: Date.now() + 60_000 })).json()).toEqual({ done: true })
    expect(await (await command(user, { _tag: "Check", sessionId: "again", createdAt: now })).json()).toEqual({ status: "revoked" })
  })

  it("a command it does not know is answered 400 (which the client reports as Unavailable)", async () => {
    const user = `bad:${crypto.randomUUID()}`
    const response = await command(user, { _tag: "Forget", sessionId: "s1" })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: "Invalid revocation command" })
  })
})
