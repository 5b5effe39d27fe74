/**
 * Session revocations: a strongly consistent record of which sessions have been ended, for the
 * `SESSION_REVOCATION=immediate` mode.
 *
 * Sessions are read from KV, which other locations may serve from a cache for up to 60 s after a
 * sign-out. A validation that also asks `check` sees a revocation made anywhere at once. Each user
 * has one small record: the time up to which all their sessions were revoked (sign out everywhere,
 * password reset, account deletion), and the ids of sessions revoked one by one that have not yet
 * expired. Nothing is kept past the expiry the caller gives, so the record stays small and ends.
 *
 * The rule itself is `SessionRevocationRecord`, shared by every backend.
 *
 * @module
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"

/** What `check` says of a session: `revoked` (refuse it) or `live` (as far as revocation goes). */
export const SessionStatus = Schema.Literal("live", "revoked")
export type SessionStatus = typeof SessionStatus.Type

/** The record could not be read or written. Whether to refuse the session then is the caller's policy. */
export class SessionRevocationsError extends Schema.TaggedError<SessionRevocationsError>()("SessionRevocationsError", {
  reason: Schema.Literal("Unavailable"),
  message: Schema.String
}) {}

/** A session as `check` needs it. Times are epoch milliseconds. */
export interface SessionToCheck {
  readonly userId: string
  readonly sessionId: string
  /** When the session was created. */
  readonly createdAt: number
}

/** One session to revoke. */
export interface SessionToRevoke {
  readonly userId: string
  readonly sessionId: string
  /** When the session expires: its revocation is kept until then, and forgotten after. */
  readonly expiresAt: number
}

/** Every session of a user created at or before `at`. */
export interface SessionsToRevoke {
  readonly userId: string
  /** Sessions created at or before this time (epoch ms) are revoked, including one created in the same millisecond. */
  readonly at: number
  /**
   * The latest time a session created at or before `at` can still be valid (`at` plus the session
   * lifetime, since a revoked session is never extended): the revocation is forgotten after it.
   */
  readonly expiresAt: number
}

export interface SessionRevocationsService {
  /** Whether `session` was revoked, alone or with all its user's sessions. */
  readonly check: (session: SessionToCheck) => Effect.Effect<SessionStatus, SessionRevocationsError>
  /** Revokes one session, until it expires. Revoking it again keeps the later expiry. */
  readonly revoke: (session: SessionToRevoke) => Effect.Effect<void, SessionRevocationsError>
  /**
   * Revokes every session of a user created at or before `at` (sign out everywhere, password
   * reset, account deletion). A later call never moves that time back.
   */
  readonly revokeAll: (sessions: SessionsToRevoke) => Effect.Effect<void, SessionRevocationsError>
}

export class SessionRevocations extends Context.Tag("edge-auth-state/SessionRevocations")<SessionRevocations, SessionRevocationsService>() {}
