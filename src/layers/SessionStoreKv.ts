/**
 * The session store over Kv.
 *
 * Every entry carries its true expiry (`{ expiresAt }`, epoch milliseconds) as KV metadata, and
 * reads enforce it with Effect's Clock. That is what lets Better Auth ask for TTLs KV cannot take:
 * a TTL under 60 s is stored with KV's minimum and still ends on time; a TTL of 0 or less deletes.
 *
 * @module
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { Kv, storeFailureReason } from "../services/Kv.js"
import type { KvError } from "../services/Kv.js"
import { KvLimits, ttlCovering } from "../services/KvValidation.js"
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
import { traced } from "../services/Tracing.js"

const Expiry = Schema.Struct({ expiresAt: Schema.Number })
const decodeExpiry = Schema.decodeUnknownOption(Expiry)
const decodeRecord = Schema.decodeUnknownOption(Schema.parseJson(SessionRecord))

/** A reference in Better Auth's per-user list of active sessions. */
const ActiveSessions = Schema.parseJson(Schema.Array(Schema.Struct({ token: Schema.String, expiresAt: Schema.Number })))

const toStoreError = (error: KvError) => new SessionStoreError({ reason: storeFailureReason(error), message: error.message })

export const make = Effect.gen(function*() {
  const kv = yield* Kv
  const config = yield* SessionConfig

  /** A value whose recorded expiry has not passed. */
  const readLive = (key: string) =>
    Effect.gen(function*() {
      const entry = yield* kv.getWithMetadata(key)
      if (Option.isNone(entry)) return Option.none<string>()
      const now = yield* Clock.currentTimeMillis
      const expiry = Option.flatMap(entry.value.metadata, decodeExpiry)
      if (Option.isSome(expiry) && expiry.value.expiresAt <= now) return Option.none<string>()
      return Option.some(entry.value.value)
    })

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

  const readSession = (token: string) =>
    Effect.gen(function*() {
      // Anything that is not shaped like a token cannot name a session: no KV read for it.
      if (!isSessionToken(token)) return Option.none()
      const raw = yield* readLive(sessionKey(token))
      if (Option.isNone(raw)) return Option.none()
      const record = decodeRecord(raw.value)
      if (Option.isNone(record)) {
        yield* Effect.logWarning("session record does not decode; treating it as signed out")
        return Option.none()
      }
      const now = yield* Clock.currentTimeMillis
      const { session } = record.value
      if (session.token !== token || session.expiresAt.getTime() <= now) return Option.none()
      // Better Auth's "sign out everywhere" (revoke-sessions, password reset, user deletion) marks
      // every session of the user created before it as revoked, whether or not it found the token.
      const revokedBefore = yield* readLive(storageKey(`revoked-sessions-before-${session.userId}`))
      if (Option.isSome(revokedBefore) && session.createdAt.getTime() < Number(revokedBefore.value)) return Option.none()
      return Option.some({ raw: raw.value, record: record.value })
    })

  const signedOutKey = (token: string) => storageKey(`signed-out:${token}`)

  /**
   * Ends a session: deletes it and leaves a mark that outlives any copy of it a KV location may
   * still serve, so that a refresh elsewhere cannot write it back.
   */
  const endSession = (token: string) =>
    Effect.zipRight(
      kv.delete(sessionKey(token)),
      kv.put(signedOutKey(token), "1", { expirationTtl: ttlCovering(Duration.toSeconds(config.expiresIn)) })
    )

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

      // A session signed out since this copy of it was read must not be written back.
      if (Option.isSome(yield* kv.get(signedOutKey(token)))) return Option.none()

      const expiresAt = new Date(now + Duration.toMillis(config.expiresIn))
      const updatedAt = new Date(now)
      // Rewrite the record as Better Auth wrote it, fields we do not model included.
      const stored = JSON.parse(raw) as { session: Record<string, unknown> }
      stored.session = { ...stored.session, expiresAt: expiresAt.toISOString(), updatedAt: updatedAt.toISOString() }
      return yield* writeLive(sessionKey(token), JSON.stringify(stored), Duration.toSeconds(config.expiresIn)).pipe(
        Effect.zipRight(updateActiveSessions(record.session.userId, token, expiresAt.getTime())),
        Effect.as(Option.some({ ...record, session: { ...record.session, expiresAt, updatedAt } })),
        // The session was read and is valid: failing to extend it is no reason to refuse it.
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning("session refresh not written", error.message), Option.some(record))
        )
      )
    }).pipe(Effect.mapError(toStoreError), traced("SessionStore.refresh"))

  /**
   * Better Auth's writes. A session signed out is never written back: another location may still
   * serve a stale copy of it for up to KV's cache TTL, and Better Auth's get-session there would
   * otherwise extend that copy and revive it everywhere. A "sign out everywhere" mark outlives
   * Better Auth's TTL by that cache TTL, so a copy written back in that window ends before it.
   */
  const storageSet = (key: string, value: string, ttlSeconds: number | undefined) =>
    Effect.gen(function*() {
      if (isSessionToken(key) && Option.isSome(yield* kv.get(signedOutKey(key)))) {
        return yield* Effect.logInfo("not writing back a signed-out session")
      }
      const ttl = key.startsWith("revoked-sessions-before-") && ttlSeconds !== undefined && ttlSeconds > 0
        ? ttlSeconds + KvLimits.defaultCacheTtlSeconds
        : ttlSeconds
      yield* writeLive(storageKey(key), value, ttl)
    })

  return SessionStore.of({
    lookup,
    refresh,
    revoke: (token) => (isSessionToken(token) ? Effect.mapError(endSession(token), toStoreError) : Effect.void),
    storage: {
      get: (key) => Effect.mapError(readLive(storageKey(key)), toStoreError),
      set: (key, value, ttlSeconds) => Effect.mapError(storageSet(key, value, ttlSeconds), toStoreError),
      delete: (key) => Effect.mapError(isSessionToken(key) ? endSession(key) : kv.delete(storageKey(key)), toStoreError)
    }
  })
})

/** The session store over the Kv in context. */
export const layer: Layer.Layer<SessionStore, never, Kv | SessionConfig> = Layer.effect(SessionStore, make)
