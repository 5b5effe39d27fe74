/**
 * Where sessions live, and for how long.
 *
 * Better Auth creates and ends sessions; this service owns their storage. A session lives at
 * `session:<token>` as the JSON record Better Auth writes (`{ session, user }`), with a KV TTL equal
 * to its remaining life. Better Auth's other entries live under `auth:`. The same store is Better
 * Auth's `secondaryStorage`, and what the HTTP layer reads on every request to recognise a Bearer
 * token.
 *
 * @module
 */
import { Context, Duration, Effect, Layer, Option, Schema } from "effect"

/** The session as Better Auth stores it. Fields beyond these are kept as they are. */
export const Session = Schema.Struct({
  id: Schema.String,
  token: Schema.String,
  userId: Schema.String,
  expiresAt: Schema.Date,
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  ipAddress: Schema.optional(Schema.NullOr(Schema.String)),
  userAgent: Schema.optional(Schema.NullOr(Schema.String))
})
export type Session = typeof Session.Type

/** The signed-in user as Better Auth stores it beside the session. */
export const User = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  email: Schema.String,
  emailVerified: Schema.Boolean,
  image: Schema.optional(Schema.NullOr(Schema.String)),
  createdAt: Schema.Date,
  updatedAt: Schema.Date
})
export type User = typeof User.Type

/** What `session:<token>` holds. */
export const SessionRecord = Schema.Struct({ session: Session, user: User })
export type SessionRecord = typeof SessionRecord.Type

/**
 * The session store could not be read or written: KV is unavailable or refused the write, or
 * (`RevocationsUnavailable`, SESSION_REVOCATION=immediate) the record of revocations could not be
 * asked or written.
 */
export class SessionStoreError extends Schema.TaggedError<SessionStoreError>()("SessionStoreError", {
  reason: Schema.Literal("Unavailable", "WriteRateLimited", "RevocationsUnavailable"),
  message: Schema.String
}) {}

/** How long sessions live. Better Auth is configured from the same values. */
export interface SessionConfigShape {
  /** A session's life from sign-in or its last refresh. Default 7 days. */
  readonly expiresIn: Duration.Duration
  /** How old a session must be before a request extends it. Default 1 day. */
  readonly updateAge: Duration.Duration
}

export class SessionConfig extends Context.Tag("edge-auth-state/SessionConfig")<SessionConfig, SessionConfigShape>() {
  static readonly defaults: SessionConfigShape = { expiresIn: Duration.days(7), updateAge: Duration.days(1) }
  static readonly layer = (config: Partial<SessionConfigShape> = {}) =>
    Layer.succeed(SessionConfig, { ...SessionConfig.defaults, ...config })
}

/** The KV key of a session. */
export const sessionKey = (token: string): string => `session:${token}`

/** Better Auth's session tokens: 32 characters of `[A-Za-z0-9]`. */
export const isSessionToken = (key: string): boolean => /^[A-Za-z0-9]{32}$/.test(key)

/**
 * The KV key for one of Better Auth's secondary-storage keys: a session token becomes
 * `session:<token>`, everything else (active-session lists, revocation marks, verification values)
 * is kept under `auth:`.
 */
export const storageKey = (key: string): string => (isSessionToken(key) ? sessionKey(key) : `auth:${key}`)

/**
 * Whether a session is due to be extended, by Better Auth's rule: once `updateAge` has passed since
 * it was last given its full life.
 */
export const isRefreshDue = (session: Session, config: SessionConfigShape, nowMillis: number): boolean =>
  session.expiresAt.getTime() - Duration.toMillis(config.expiresIn) + Duration.toMillis(config.updateAge) <= nowMillis

/** A session being ended, as Better Auth's row gives it: what its revocation is recorded with. */
export interface EndingSession {
  readonly id: string
  readonly userId: string
  /** When it would have expired: its revocation is kept until then, and forgotten after. */
  readonly expiresAt: Date
}

/** A session as Better Auth created it: whose, which, and when. */
export interface CreatedSession {
  readonly id: string
  readonly userId: string
  readonly createdAt: Date
}

export interface SessionStoreService {
  /** The live session for `token`: `None` if unknown, expired or malformed. */
  readonly lookup: (token: string) => Effect.Effect<Option.Option<SessionRecord>, SessionStoreError>
  /**
   * Gives the session its full life again if `updateAge` has passed, as Better Auth's get-session
   * does, and returns it as it now stands. `None` if the session is gone.
   */
  readonly refresh: (token: string) => Effect.Effect<Option.Option<SessionRecord>, SessionStoreError>
  /** Ends the session: `session:<token>` is deleted and a signed-out mark left in its place. */
  readonly revoke: (token: string) => Effect.Effect<void, SessionStoreError>
  /**
   * Records that the session has ended, where a strongly consistent record of revocations is kept
   * (a `SessionRevocations` in context: `SESSION_REVOCATION=immediate`): from then on every
   * validation, at every location, refuses it. Without one it does nothing, and no I/O.
   */
  readonly recordRevocation: (session: EndingSession) => Effect.Effect<void, SessionStoreError>
  /**
   * Records that every session of the user created up to now has ended (sign-out everywhere, a
   * password reset, an account claim, the user's deletion), where a record of revocations is kept:
   * the time recorded (sessions created at or before it are refused). `None`, and no I/O, without one.
   */
  readonly recordRevocationOfAll: (userId: string) => Effect.Effect<Option.Option<number>, SessionStoreError>
  /**
   * Whether the record of revocations refuses `session` (a session Better Auth has just created, in
   * a race with the sign-out everywhere that covers its millisecond). `false`, and no I/O, without one.
   */
  readonly isRecordedRevoked: (session: CreatedSession) => Effect.Effect<boolean, SessionStoreError>
  /** Better Auth's secondary storage, over the same KV keys. TTLs are in seconds. */
  readonly storage: {
    readonly get: (key: string) => Effect.Effect<Option.Option<string>, SessionStoreError>
    readonly set: (key: string, value: string, ttlSeconds?: number) => Effect.Effect<void, SessionStoreError>
    readonly delete: (key: string) => Effect.Effect<void, SessionStoreError>
  }
}

export class SessionStore extends Context.Tag("edge-auth-state/SessionStore")<SessionStore, SessionStoreService>() {}
