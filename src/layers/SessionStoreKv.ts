/**
 * The session store over Kv.
 *
 * Every entry carries its true expiry (`{ expiresAt }`, epoch milliseconds) as KV metadata, and
 * reads enforce it with Effect's Clock. That is what lets Better Auth ask for TTLs KV cannot take:
 * a TTL under 60 s is stored with KV's minimum and still ends on time; a TTL of 0 or less deletes.
 *
 * With a `SessionRevocations` in context (`SESSION_REVOCATION=immediate`), every read of a session
 * (the Bearer path's `lookup` and `refresh`, Better Auth's `storage.get`) asks it too, after the one
 * KV read, and a session it says is revoked is no session: a revocation made anywhere is seen at
 * once, whatever copy this location's KV serves. Without one, nothing more is read.
 *
 * @module
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { Kv, storeFailureReason } from "../services/Kv.js"
import type { KvError } from "../services/Kv.js"
import type { KvValueWithMetadata } from "../services/Kv.js"
import { ttlCovering } from "../services/KvValidation.js"
import {
  isRefreshDue,
  isSessionToken,
  SessionConfig,
  SessionRecord,
  sessionKey,
  SessionStore,
  SessionStoreError,
  storageKey
} from "../services/SessionStore.js"
import type { CreatedSession, Session } from "../services/SessionStore.js"
import { SessionIndex } from "../services/SessionIndex.js"
import type { SessionIndexError } from "../services/SessionIndex.js"
import { SessionRevocations } from "../services/SessionRevocations.js"
import type { SessionRevocationsError, SessionRevocationsService } from "../services/SessionRevocations.js"
import { decodedPerKey } from "../services/SchemaCache.js"
import { traced } from "../services/Tracing.js"

const Expiry = Schema.Struct({ expiresAt: Schema.Number })
const decodeExpiry = Schema.decodeUnknownOption(Expiry)
const decodeRecord = Schema.decodeUnknownOption(Schema.parseJson(SessionRecord))

/** A reference in Better Auth's per-user list of active sessions. */
const ActiveSessions = Schema.parseJson(Schema.Array(Schema.Struct({ token: Schema.String, expiresAt: Schema.Number })))

/** The value of `entry` unless its recorded expiry has passed at `now`. */
const liveValue = (entry: KvValueWithMetadata, now: number): Option.Option<string> => {
  const expiry = Option.flatMap(entry.metadata, decodeExpiry)
  return Option.isSome(expiry) && expiry.value.expiresAt <= now ? Option.none() : Option.some(entry.value)
}

/** Whether the revocation record refuses `session`. */
const isRevoked = (revocations: SessionRevocationsService, session: CreatedSession) =>
  Effect.map(
    revocations.check({ userId: session.userId, sessionId: session.id, createdAt: session.createdAt.getTime() }),
    (status) => status === "revoked"
  )

const toStoreError = (error: KvError | SessionIndexError | SessionRevocationsError) =>
  new SessionStoreError({
    reason: error._tag === "KvError" ? storeFailureReason(error) : error._tag === "SessionRevocationsError" ? "RevocationsUnavailable" : error.reason,
    message: error.message
  })

export const make = Effect.gen(function*() {
  const kv = yield* Kv
  const config = yield* SessionConfig
  const index = yield* Effect.serviceOption(SessionIndex)
  const revocations = yield* Effect.serviceOption(SessionRevocations)
  /** A value whose recorded expiry has not passed. */
  const readLive = (key: string) =>
    Effect.flatMap(kv.getWithMetadata(key), (entry) =>
      Option.isNone(entry) ? Effect.succeedNone : Effect.map(Clock.currentTimeMillis, (now) => liveValue(entry.value, now)))

  /** Writes `value` to live `ttlSeconds` (or forever when undefined); 0 or less deletes. */
  const writeLive = (key: string, value: string, ttlSeconds: number | undefined) =>
    Effect.gen(function*() {
      if (ttlSeconds === undefined) return yield* kv.put(key, value)
      if (!(ttlSeconds > 0)) return yield* kv.delete(key)
      const now = yield* Clock.currentTimeMillis
      yield* kv.put(key, value, {
        expirationTtl: ttlCovering(ttlSeconds),
        metadata: { expiresAt: now + Math.round(ttlSeconds * 1000) }
      })
    })

  /** Records this isolate last decoded, per key: a session read on every request is decoded once. */
  const decodedRecords = decodedPerKey<Option.Option<SessionRecord>>()
  const decodeStored = (key: string, text: string) => {
    const known = decodedRecords.get(key, text)
    if (known !== undefined) return known.value
    const record = decodeRecord(text)
    decodedRecords.set(key, text, record)
    return record
  }

  const readSession = (token: string) =>
    Effect.gen(function*() {
      // Anything that is not shaped like a token cannot name a session: no KV read for it.
      if (!isSessionToken(token)) return Option.none()
      const key = sessionKey(token)
      const raw = yield* readLive(key)
      if (Option.isNone(raw)) return Option.none()
      const record = decodeStored(key, raw.value)
      if (Option.isNone(record)) {
        yield* Effect.logWarning("session record does not decode; treating it as signed out")
        return Option.none()
      }
      const now = yield* Clock.currentTimeMillis
      const { session } = record.value
      if (session.token !== token || session.expiresAt.getTime() <= now) return Option.none()
      // No read of Better Auth's revoked-before mark: every way a session ends (sign-out, revoke,
      // revoke-others, revoke-all, user deletion) deletes its key, the last by the database hook
      // on each deleted row (BetterAuth.ts), so a key that is found was not ended here. Ended
      // elsewhere, it may still be found here for KV's 60 s: only a revocation record says so.
      if (Option.isSome(revocations) && (yield* isRevoked(revocations.value, session))) return Option.none()
      return Option.some({ raw: raw.value, record: record.value })
    })

  /**
   * Better Auth's read of a session (`storage.get`): the stored value as it is, unless the
   * revocation record (if one is kept) refuses it, or it cannot be checked against the record.
   */
  const readSessionValue = (token: string) =>
    Effect.gen(function*() {
      const key = sessionKey(token)
      const raw = yield* readLive(key)
      if (Option.isNone(raw) || Option.isNone(revocations)) return raw
      const record = decodeStored(key, raw.value)
      if (Option.isNone(record)) {
        yield* Effect.logWarning("session record does not decode; it cannot be checked for revocation, so it is not served")
        return Option.none()
      }
      return (yield* isRevoked(revocations.value, record.value.session)) ? Option.none() : raw
    })

  const signedOutKey = (token: string) => storageKey(`signed-out:${token}`)

  /** Records every session of `userId` created up to now as revoked; the time recorded. */
  const recordRevocationOfAll = (service: SessionRevocationsService, userId: string) =>
    Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      // A session created by then and never extended after (an ended session is not) ends by then.
      yield* service.revokeAll({ userId, at, expiresAt: at + Duration.toMillis(config.expiresIn) })
      return Option.some(at)
    })

  /**
   * Ends a session: deletes it and leaves a mark that outlives any copy of it a KV location may
   * still serve, so that a refresh elsewhere cannot write it back.
   */
  const endSession = (token: string) =>
    Effect.suspend(() => {
      // Better Auth ends a session twice (its storage delete, then our hook on the deleted row):
      // once is enough, and a second write to the same keys within a second KV may refuse.
      if (recentlyEnded.has(token)) return Effect.void
      return Effect.zipRight(
        kv.delete(sessionKey(token)),
        kv.put(signedOutKey(token), "1", { expirationTtl: ttlCovering(Duration.toSeconds(config.expiresIn)) })
      ).pipe(Effect.tap(() => remember(token)))
    })

  /** Tokens this isolate ended in the last minute, oldest first. */
  const recentlyEnded = new Map<string, number>()
  const remember = (token: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      for (const [old, at] of recentlyEnded) {
        if (at > now - 60_000 && recentlyEnded.size < 1000) break
        recentlyEnded.delete(old)
      }
      recentlyEnded.set(token, now)
    })

  /** Whether a session may be written to KV: still in the index, or, without one, not signed out here. */
  const mayStore = (token: string): Effect.Effect<boolean, KvError | SessionIndexError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<boolean, KvError | SessionIndexError> =>
      Option.match(index, {
        onNone: () => Effect.map(kv.get(signedOutKey(token)), Option.isNone),
        onSome: (index) => index.isLive(token, now)
      }))

  /**
   * Writes a session record only while the session exists, and checks again after writing: a
   * session ended between the check and the write (its row deleted, then its key) is deleted
   * again, so no copy written from a stale read can outlive the ending. `extended`: the index
   * has just extended this session (so it exists), and the check before writing is skipped.
   */
  const storeSession = (token: string, value: string, ttlSeconds: number | undefined, extended = false) =>
    Effect.gen(function*() {
      if (!extended && !(yield* mayStore(token))) {
        yield* Effect.logWarning("session write refused: the session has ended")
        return false
      }
      yield* writeLive(sessionKey(token), value, ttlSeconds)
      if (Option.isSome(index) && !(yield* mayStore(token))) {
        yield* kv.delete(sessionKey(token))
        return false
      }
      return true
    })

  const lookup = (token: string) =>
    readSession(token).pipe(
      Effect.map(Option.map(({ record }) => record)),
      Effect.mapError(toStoreError),
      traced("SessionStore.lookup")
    )

  /** Moves this session's entry in Better Auth's active-sessions list to its new expiry. */
  const updateActiveSessions = (userId: string, token: string, expiresAt: number) =>
    Effect.gen(function*() {
      const key = storageKey(`active-sessions-${userId}`)
      const now = yield* Clock.currentTimeMillis
      const current = Option.getOrElse(
        Option.flatMap(yield* readLive(key), Schema.decodeUnknownOption(ActiveSessions)),
        () => []
      )
      const list = [...current.filter((s) => s.token !== token && s.expiresAt > now), { token, expiresAt }]
        .sort((a, b) => a.expiresAt - b.expiresAt)
      yield* writeLive(key, JSON.stringify(list), (list[list.length - 1]!.expiresAt - now) / 1000)
    })

  const refresh = (token: string) =>
    Effect.gen(function*() {
      const found = yield* readSession(token)
      if (Option.isNone(found)) return Option.none()
      const now = yield* Clock.currentTimeMillis
      const { raw, record } = found.value
      if (!isRefreshDue(record.session, config, now)) return Option.some(record)

      const expiresAt = new Date(now + Duration.toMillis(config.expiresIn))
      const updatedAt = new Date(now)
      // With an index, the session is extended there first: a session ended anywhere is gone from
      // it, and this copy of it is refused.
      if (Option.isSome(index)) {
        const extended = yield* Effect.either(index.value.extend(token, expiresAt, updatedAt))
        if (extended._tag === "Right" && !extended.right) {
          // Ended elsewhere: this location's copy goes too, so the next request here is one read.
          yield* Effect.catchAll(kv.delete(sessionKey(token)), (error) => Effect.logWarning("stale session not deleted", error.message))
          return Option.none()
        }
        if (extended._tag === "Left") {
          // The session was read and is valid: failing to extend it is no reason to refuse it.
          yield* Effect.logWarning("session refresh not written", extended.left.message)
          return Option.some(record)
        }
      }
      // Rewrite the record as Better Auth wrote it, fields we do not model included.
      const stored = JSON.parse(raw) as { session: Record<string, unknown> }
      stored.session = { ...stored.session, expiresAt: expiresAt.toISOString(), updatedAt: updatedAt.toISOString() }
      return yield* storeSession(token, JSON.stringify(stored), Duration.toSeconds(config.expiresIn), Option.isSome(index)).pipe(
        Effect.tap((written) => (written ? updateActiveSessions(record.session.userId, token, expiresAt.getTime()) : Effect.void)),
        Effect.map((written) => (written ? Option.some({ ...record, session: { ...record.session, expiresAt, updatedAt } }) : Option.none())),
        // The session was read and is valid: failing to extend it is no reason to refuse it.
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning("session refresh not written", error.message), Option.some(record))
        )
      )
    }).pipe(Effect.mapError(toStoreError), traced("SessionStore.refresh"))

  return SessionStore.of({
    lookup,
    refresh,
    revoke: (token) => (isSessionToken(token) ? Effect.mapError(endSession(token), toStoreError) : Effect.void),
    recordRevocation: (session) =>
      Option.isNone(revocations)
        ? Effect.void
        : revocations.value.revoke({ userId: session.userId, sessionId: session.id, expiresAt: session.expiresAt.getTime() }).pipe(
          Effect.mapError(toStoreError)
        ),
    recordRevocationOfAll: (userId) =>
      Option.isNone(revocations) ? Effect.succeedNone : Effect.mapError(recordRevocationOfAll(revocations.value, userId), toStoreError),
    isRecordedRevoked: (session) =>
      Option.isNone(revocations) ? Effect.succeed(false) : Effect.mapError(isRevoked(revocations.value, session), toStoreError),
    storage: {
      get: (key) => Effect.mapError(isSessionToken(key) ? readSessionValue(key) : readLive(storageKey(key)), toStoreError),
      set: (key, value, ttlSeconds) =>
        isSessionToken(key) && ttlSeconds !== undefined && ttlSeconds > 0
          ? storeSession(key, value, ttlSeconds).pipe(Effect.asVoid, Effect.mapError(toStoreError))
          : Effect.mapError(writeLive(storageKey(key), value, ttlSeconds), toStoreError),
      delete: (key) => Effect.mapError(isSessionToken(key) ? endSession(key) : kv.delete(storageKey(key)), toStoreError)
    }
  })
})

/**
 * The session store over the Kv in context; with a `SessionIndex` in context too, sessions are
 * written and extended only while the index holds them; with a `SessionRevocations`, every read of
 * a session asks it whether the session was revoked, and endings are recorded there.
 */
export const layer: Layer.Layer<SessionStore, never, Kv | SessionConfig> = Layer.effect(SessionStore, make)
