/**
 * One user's revocation record and the rule that reads it, as pure steps: the record and the time
 * in, the answer or the record after out. The Durable Object backend runs them inside the user's
 * one object (so nothing runs between a read and its write); the memory backend runs them on a
 * Map; tests run them with `TestClock`. Time comes from Effect's `Clock`.
 *
 * An entry is kept while `now <= expiresAt` and forgotten after: the session store ends a session
 * at its `expiresAt`, Better Auth one millisecond later, and keeping it through that millisecond
 * suits both.
 *
 * @module
 */
import { Clock, Effect, Schema } from "effect"
import type { SessionStatus } from "./SessionRevocations.js"

/** Every session created at or before `at` is revoked, until `expiresAt`. */
export const RevokedAll = Schema.Struct({ at: Schema.Number, expiresAt: Schema.Number })
export type RevokedAll = typeof RevokedAll.Type

/** One session revoked, until it expires. */
export const RevokedSession = Schema.Struct({ sessionId: Schema.String, expiresAt: Schema.Number })
export type RevokedSession = typeof RevokedSession.Type

/** One user's record: the revoke-all time (if any) and the sessions revoked one by one. */
export const RevocationRecord = Schema.Struct({
  all: Schema.NullOr(RevokedAll),
  sessions: Schema.Array(RevokedSession)
})
export type RevocationRecord = typeof RevocationRecord.Type

/** A user of whom nothing is revoked. */
export const emptyRecord: RevocationRecord = { all: null, sessions: [] }

/** Whether the record holds nothing (its storage can go). */
export const isEmpty = (record: RevocationRecord): boolean => record.all === null && record.sessions.length === 0

/** The record without what has expired at `now`. */
export const prunedAt = (record: RevocationRecord, now: number): RevocationRecord => {
  const all = record.all !== null && record.all.expiresAt >= now ? record.all : null
  const sessions = record.sessions.filter((s) => s.expiresAt >= now)
  return all === record.all && sessions.length === record.sessions.length ? record : { all, sessions }
}

/** The first time the record loses an entry (one millisecond after its earliest expiry), if it holds any. */
export const nextPruneAt = (record: RevocationRecord): number | undefined => {
  let earliest = record.all?.expiresAt ?? Infinity
  for (const s of record.sessions) earliest = Math.min(earliest, s.expiresAt)
  return earliest === Infinity ? undefined : earliest + 1
}

/** What the record says at `now` of the session created at `createdAt` with id `sessionId`. */
export const statusAt = (
  record: RevocationRecord,
  session: { readonly sessionId: string; readonly createdAt: number },
  now: number
): SessionStatus => {
  const all = record.all
  if (all !== null && all.expiresAt >= now && session.createdAt <= all.at) return "revoked"
  for (const s of record.sessions) if (s.sessionId === session.sessionId && s.expiresAt >= now) return "revoked"
  return "live"
}

/** The record after revoking one session at `now`: nothing to keep if it has already expired. */
export const revokeAt = (record: RevocationRecord, session: RevokedSession, now: number): RevocationRecord => {
  const kept = prunedAt(record, now)
  if (session.expiresAt < now) return kept
  const previous = kept.sessions.find((s) => s.sessionId === session.sessionId)
  if (previous !== undefined && previous.expiresAt >= session.expiresAt) return kept
  const others = kept.sessions.filter((s) => s.sessionId !== session.sessionId)
  return { all: kept.all, sessions: [...others, { sessionId: session.sessionId, expiresAt: session.expiresAt }] }
}

/**
 * The record after revoking every session created at or before `revoked.at`, at `now`. Both times
 * only move forward: a late or repeated call never makes a revoked session live again.
 */
export const revokeAllAt = (record: RevocationRecord, revoked: RevokedAll, now: number): RevocationRecord => {
  const kept = prunedAt(record, now)
  if (revoked.expiresAt < now) return kept
  const all = kept.all === null
    ? { at: revoked.at, expiresAt: revoked.expiresAt }
    : { at: Math.max(kept.all.at, revoked.at), expiresAt: Math.max(kept.all.expiresAt, revoked.expiresAt) }
  return { all, sessions: kept.sessions }
}

/** Where one user's record is kept: SQLite in the Durable Object, a Map in memory. */
export interface RecordStorage {
  /** The record, `emptyRecord` when there is none. */
  readonly read: () => RevocationRecord
  /** Keeps `record` (an empty one may be deleted). */
  readonly write: (record: RevocationRecord) => void
}

/** `statusAt` on the stored record, at the Clock's time. */
export const check = (storage: RecordStorage, session: { readonly sessionId: string; readonly createdAt: number }) =>
  Effect.map(Clock.currentTimeMillis, (now) => statusAt(storage.read(), session, now))

/**
 * `step` on the stored record at the Clock's time, reading and writing with nothing in between (the
 * storage calls are synchronous). Returns the record written.
 */
const update = (storage: RecordStorage, step: (record: RevocationRecord, now: number) => RevocationRecord) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const before = storage.read()
    const after = step(before, now)
    if (after !== before) storage.write(after)
    return after
  })

/** `revokeAt` on the stored record, at the Clock's time; the record after. */
export const revoke = (storage: RecordStorage, session: RevokedSession) => update(storage, (record, now) => revokeAt(record, session, now))

/** `revokeAllAt` on the stored record, at the Clock's time; the record after. */
export const revokeAll = (storage: RecordStorage, revoked: RevokedAll) => update(storage, (record, now) => revokeAllAt(record, revoked, now))

/** Drops what has expired from the stored record, at the Clock's time; the record after. */
export const prune = (storage: RecordStorage) => update(storage, prunedAt)
