import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Rule from "../../src/services/SessionRevocationRecord.js"
import type { RecordStorage, RevocationRecord } from "../../src/services/SessionRevocationRecord.js"
import type { SessionStatus } from "../../src/services/SessionRevocations.js"

const t0 = Date.UTC(2026, 10, 28, 12, 0, 0)

/** What happens to one user's record, at `now` (ms after t0). */
type Step =
  | { readonly now: number; readonly revoke: { readonly sessionId: string; readonly expiresAt: number } }
  | { readonly now: number; readonly revokeAll: { readonly at: number; readonly expiresAt: number } }

/** What `check` says at `now` of the session `sessionId` created at `createdAt` (all ms after t0). */
interface Check {
  readonly now: number
  readonly sessionId: string
  readonly createdAt: number
  readonly status: SessionStatus
}

interface RuleCase {
  readonly name: string
  readonly steps: ReadonlyArray<Step>
  readonly checks: ReadonlyArray<Check>
}

const revoke = (now: number, sessionId: string, expiresAt: number): Step => ({ now, revoke: { sessionId, expiresAt } })
const revokeAll = (now: number, at: number, expiresAt: number): Step => ({ now, revokeAll: { at, expiresAt } })
const check = (now: number, sessionId: string, createdAt: number, status: SessionStatus): Check => ({ now, sessionId, createdAt, status })

const cases: ReadonlyArray<RuleCase> = [
  {
    name: "nothing revoked: live",
    steps: [],
    checks: [check(0, "s1", -1000, "live")]
  },
  {
    name: "a revoked id is revoked; another id of the same user is not",
    steps: [revoke(0, "s1", 60_000)],
    checks: [check(1, "s1", -1000, "revoked"), check(1, "s2", -1000, "live")]
  },
  {
    name: "revoke-all before the session was created leaves it live",
    steps: [revokeAll(100, 100, 60_000)],
    checks: [check(200, "s1", 101, "live"), check(200, "s2", 150, "live")]
  },
  {
    name: "revoke-all in the same millisecond the session was created revokes it",
    steps: [revokeAll(100, 100, 60_000)],
    checks: [check(100, "s1", 100, "revoked")]
  },
  {
    name: "revoke-all after the session was created revokes it",
    steps: [revokeAll(100, 100, 60_000)],
    checks: [check(200, "s1", 99, "revoked"), check(200, "s2", -50_000, "revoked")]
  },
  {
    name: "revoke-all covers sessions created up to `at`, not up to when it was recorded",
    steps: [revokeAll(500, 100, 60_000)],
    checks: [check(600, "s1", 100, "revoked"), check(600, "s2", 300, "live")]
  },
  {
    name: "a revoked id is kept through its expiresAt and forgotten after it",
    steps: [revoke(0, "s1", 1000)],
    checks: [check(999, "s1", -1000, "revoked"), check(1000, "s1", -1000, "revoked"), check(1001, "s1", -1000, "live")]
  },
  {
    name: "a revoke-all is kept through its expiresAt and forgotten after it",
    steps: [revokeAll(0, 0, 1000)],
    checks: [check(1000, "s1", -1, "revoked"), check(1001, "s1", -1, "live")]
  },
  {
    name: "revoking a session that has already expired records nothing",
    steps: [revoke(1000, "s1", 999)],
    checks: [check(1000, "s1", 0, "live")]
  },
  {
    name: "revoking a session again keeps the later expiry, whichever comes first",
    steps: [revoke(0, "s1", 2000), revoke(10, "s1", 1000), revoke(20, "s2", 1000), revoke(30, "s2", 2000)],
    checks: [check(1500, "s1", -1, "revoked"), check(1500, "s2", -1, "revoked"), check(2001, "s1", -1, "live")]
  },
  {
    name: "a later revoke-all with an earlier time moves neither time back",
    steps: [revokeAll(500, 500, 5000), revokeAll(600, 200, 3000)],
    checks: [check(700, "s1", 300, "revoked"), check(700, "s2", 500, "revoked"), check(4000, "s1", 300, "revoked"), check(700, "s3", 501, "live")]
  },
  {
    name: "a later revoke-all moves the time forward",
    steps: [revokeAll(100, 100, 5000), revokeAll(300, 300, 5000)],
    checks: [check(400, "s1", 200, "revoked"), check(400, "s2", 301, "live")]
  },
  {
    name: "revoke-all and revoked ids are kept side by side, each until its own expiry",
    steps: [revoke(0, "late", 9000), revokeAll(10, 10, 2000), revoke(20, "early", 1000)],
    checks: [
      check(30, "late", 15, "revoked"), // created after the revoke-all, revoked by id
      check(30, "other", 5, "revoked"), // by the revoke-all
      check(30, "other", 15, "live"),
      check(1001, "early", 15, "live"),
      check(2001, "other", 5, "live"),
      check(2001, "late", 15, "revoked")
    ]
  }
]

const apply = (record: RevocationRecord, step: Step): RevocationRecord =>
  "revoke" in step
    ? Rule.revokeAt(record, { sessionId: step.revoke.sessionId, expiresAt: t0 + step.revoke.expiresAt }, t0 + step.now)
    : Rule.revokeAllAt(record, { at: t0 + step.revokeAll.at, expiresAt: t0 + step.revokeAll.expiresAt }, t0 + step.now)

describe("SessionRevocationRecord: the rule, step by step", () => {
  for (const c of cases) {
    it(c.name, () => {
      const record = c.steps.reduce(apply, Rule.emptyRecord)
      const statuses = c.checks.map((k) => Rule.statusAt(record, { sessionId: k.sessionId, createdAt: t0 + k.createdAt }, t0 + k.now))
      expect(statuses).toEqual(c.checks.map((k) => k.status))
    })
  }
})

/** A record in a variable, with every write counted. */
const memoryStorage = () => {
  let record = Rule.emptyRecord
  const writes: Array<RevocationRecord> = []
  const storage: RecordStorage = {
    read: () => record,
    write: (next) => {
      writes.push(next)
      record = next
    }
  }
  return { storage, writes }
}

const applyOn = (storage: RecordStorage, step: Step) =>
  "revoke" in step
    ? Rule.revoke(storage, { sessionId: step.revoke.sessionId, expiresAt: t0 + step.revoke.expiresAt })
    : Rule.revokeAll(storage, { at: t0 + step.revokeAll.at, expiresAt: t0 + step.revokeAll.expiresAt })

describe("SessionRevocationRecord: on a storage, at the Clock's time", () => {
  for (const c of cases) {
    it.effect(c.name, () =>
      Effect.gen(function*() {
        const { storage } = memoryStorage()
        const seen: Array<SessionStatus> = []
        // Steps and checks in time order, as they would reach the user's object.
        const events = [
          ...c.steps.map((step) => ({ now: step.now, run: Effect.asVoid(applyOn(storage, step)) })),
          ...c.checks.map((k, i) => ({
            now: k.now,
            run: Effect.map(Rule.check(storage, { sessionId: k.sessionId, createdAt: t0 + k.createdAt }), (status) => {
              seen[i] = status
            })
          }))
        ].sort((a, b) => a.now - b.now) // stable: at the same time, steps before checks
        for (const event of events) {
          yield* TestClock.setTime(t0 + event.now)
          yield* event.run
        }
        expect(seen).toEqual(c.checks.map((k) => k.status))
      }))
  }

  it.effect("a check never writes; a step that changes nothing writes nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const { storage, writes } = memoryStorage()
      yield* Rule.check(storage, { sessionId: "s1", createdAt: t0 })
      yield* Rule.revoke(storage, { sessionId: "s1", expiresAt: t0 - 1 })
      expect(writes).toEqual([])
      yield* Rule.revoke(storage, { sessionId: "s1", expiresAt: t0 + 1000 })
      yield* Rule.revoke(storage, { sessionId: "s1", expiresAt: t0 + 500 })
      yield* Rule.check(storage, { sessionId: "s1", createdAt: t0 })
      expect(writes).toHaveLength(1)
    }))

  it.effect("prune forgets what has expired, and says when it next has something to forget", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const { storage } = memoryStorage()
      yield* Rule.revoke(storage, { sessionId: "a", expiresAt: t0 + 3000 })
      yield* Rule.revoke(storage, { sessionId: "b", expiresAt: t0 + 1000 })
      const after = yield* Rule.revokeAll(storage, { at: t0, expiresAt: t0 + 2000 })
      expect(Rule.nextPruneAt(after)).toBe(t0 + 1001)

      yield* TestClock.setTime(t0 + 1000)
      expect(Rule.nextPruneAt(yield* Rule.prune(storage))).toBe(t0 + 1001) // b is kept through its expiresAt
      yield* TestClock.setTime(t0 + 1001)
      const pruned = yield* Rule.prune(storage)
      expect(pruned.sessions.map((s) => s.sessionId)).toEqual(["a"])
      expect(Rule.nextPruneAt(pruned)).toBe(t0 + 2001)
      yield* TestClock.setTime(t0 + 2001)
      expect(Rule.nextPruneAt(yield* Rule.prune(storage))).toBe(t0 + 3001)
      yield* TestClock.setTime(t0 + 3001)
      const empty = yield* Rule.prune(storage)
      expect(Rule.isEmpty(empty)).toBe(true)
      expect(Rule.nextPruneAt(empty)).toBeUndefined()
      expect(storage.read()).toEqual(Rule.emptyRecord)
    }))
})
