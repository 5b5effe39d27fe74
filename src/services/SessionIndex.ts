/**
 * The strongly consistent record of which sessions exist: the truth that revocation relies on.
 *
 * KV serves sessions fast but is eventually consistent and has no atomic update, so it cannot be
 * trusted to know that a session was ended elsewhere. The index (Better Auth's own `session` table
 * in D1) can: a session store that has one writes a session to KV only while the index still holds
 * it, and extends a session only through it.
 *
 * @module
 */
import { Context, Effect, Schema } from "effect"

/** The index could not be read or written. */
export class SessionIndexError extends Schema.TaggedError<SessionIndexError>()("SessionIndexError", {
  reason: Schema.Literal("Unavailable"),
  message: Schema.String
}) {}

export interface SessionIndexService {
  /** Whether the session is indexed and not expired at `now` (epoch ms). */
  readonly isLive: (token: string, now: number) => Effect.Effect<boolean, SessionIndexError>
  /** Gives the indexed session a new expiry; `false` when it is no longer indexed (ended). */
  readonly extend: (token: string, expiresAt: Date, updatedAt: Date) => Effect.Effect<boolean, SessionIndexError>
}

export class SessionIndex extends Context.Tag("edge-auth-state/SessionIndex")<SessionIndex, SessionIndexService>() {}
