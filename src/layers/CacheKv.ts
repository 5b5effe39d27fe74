/**
 * The cache over Kv. An entry lives at `cacheKey(key)` (`cache:<key>`, or a digest of a key KV
 * cannot take) as the Schema-encoded JSON of its value, with `{ freshUntil, staleUntil }` (epoch
 * ms) as KV metadata, enforced with Effect's Clock; the KV TTL covers both (at least KV's 60 s).
 *
 * A cache never fails the action, so its failures are logs, and each says what happened: KV down
 * (`cache unavailable: KV outage`), KV refusing this one write (`cache entry not stored`, with
 * KV's reason), an entry that no longer decodes.
 *
 * @module
 */
import { Cause, Clock, Duration, Effect, Exit, Layer, Metric, Option, type ParseResult, Schema } from "effect"
import { runInBackground } from "../services/BackgroundTasks.js"
import { Cache, CacheError, cacheKey, defaultTtl } from "../services/Cache.js"
import type { CacheOptions, CacheService } from "../services/Cache.js"
import { jsonCodec, Kv } from "../services/Kv.js"
import type { KvError } from "../services/Kv.js"
import { ttlCovering } from "../services/KvValidation.js"
import { cacheHits, cacheMisses, cacheStaleHits } from "../services/Metrics.js"
import { decodedPerKey, perSchema } from "../services/SchemaCache.js"
import { traced } from "../services/Tracing.js"

const Freshness = Schema.Struct({ freshUntil: Schema.Number, staleUntil: Schema.Number })
const decodeFreshness = Schema.decodeUnknownOption(Freshness)

type Waiter = (exit: Exit.Exit<unknown, unknown>) => void

interface Flight {
  readonly startedAt: number
  readonly waiters: Array<Waiter>
}

/**
 * How long a caller waits on another's computation before computing for itself. A leader whose
 * request workerd abandoned (client gone, `waitUntil` past its limit) never finishes; its callers
 * must not hang with it, nor may every later miss of its key.
 */
const followerPatience = Duration.seconds(10)

/** Why a cache write failed, for its log line: KV's reason, or the value not encoding. */
const failureReason = (error: KvError | ParseResult.ParseError) => (error._tag === "KvError" ? error.reason : "ValueDoesNotEncode")

export const make = Effect.gen(function*() {
  const kv = yield* Kv
  const inflight = new Map<string, Flight>()

  /** Per schema, the entries this isolate last decoded: a hit on an unchanged entry is not decoded again. */
  const decodedEntries = perSchema(() => decodedPerKey<unknown>())
  const decodeStored = <A, I>(schema: Schema.Schema<A, I, never>, storageKey: string, text: string): Effect.Effect<A, ParseResult.ParseError> => {
    const decoded = decodedEntries(schema)
    const known = decoded.get(storageKey, text)
    if (known !== undefined) return Effect.succeed(known.value as A)
    return Effect.tap(jsonCodec(schema).decode(text), (value) => Effect.sync(() => decoded.set(storageKey, text, value)))
  }

  /**
   * Runs `work` once for concurrent callers with the same `key` in this isolate. A follower waits
   * on a promise of its own that the leader resolves, so it resumes in its own request (workerd
   * forbids one request's fiber from running another's continuation), and stops waiting after
   * `followerPatience`, computing for itself.
   */
  const singleFlight = <A, E, R>(key: string, work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const flight = inflight.get(key)
      if (flight !== undefined && now - flight.startedAt < Duration.toMillis(followerPatience)) {
        return Effect.promise(() => new Promise<Exit.Exit<unknown, unknown>>((resolve) => flight.waiters.push(resolve))).pipe(
          Effect.timeoutOption(followerPatience),
          Effect.flatMap((exit) =>
            Option.isNone(exit)
              ? work
              // A leader that was interrupted computed nothing: this caller computes for itself.
              : Exit.isFailure(exit.value) && Cause.isInterruptedOnly(exit.value.cause)
              ? work
              : (exit.value as Exit.Exit<A, E>)
          )
        )
      }
      // No flight, or one so old its leader is presumed lost: this caller leads.
      const mine: Flight = { startedAt: now, waiters: [] }
      inflight.set(key, mine)
      return Effect.onExit(work, (exit) =>
        Effect.sync(() => {
          if (inflight.get(key) === mine) inflight.delete(key)
          for (const resolve of mine.waiters) resolve(exit)
        }))
    })

  const store = <A, I>(
    key: string,
    storageKey: string,
    schema: Schema.Schema<A, I, never>,
    value: A,
    ttl: Duration.Duration,
    grace: Duration.Duration
  ) =>
    Effect.gen(function*() {
      const json = yield* jsonCodec(schema).encode(value)
      const now = yield* Clock.currentTimeMillis
      const freshUntil = now + Duration.toMillis(ttl)
      const staleUntil = freshUntil + Duration.toMillis(grace)
      yield* kv.put(storageKey, json, {
        expirationTtl: ttlCovering((staleUntil - now) / 1000),
        metadata: { freshUntil, staleUntil }
      })
    }).pipe(
      Effect.catchAll((error) =>
        error._tag === "KvError" && error.reason === "Unavailable"
          ? Effect.logError("cache unavailable: KV outage; value not stored", { key, error: error.message })
          : Effect.logWarning("cache entry not stored", { key, reason: failureReason(error), error: error.message })
      )
    )

  const getOrSet: CacheService["getOrSet"] = <A, I, E, R>(
    key: string,
    schema: Schema.Schema<A, I, never>,
    compute: Effect.Effect<A, E, R>,
    options?: CacheOptions
  ) =>
    Effect.gen(function*() {
      const ttl = Duration.decode(options?.ttl ?? defaultTtl)
      const grace = Duration.decode(options?.staleWhileRevalidate ?? Duration.zero)
      const storageKey = yield* cacheKey(key)
      const computeAndStore = Effect.tap(compute, (value) => store(key, storageKey, schema, value, ttl, grace))

      const entry = yield* kv.getWithMetadata(storageKey).pipe(
        Effect.catchAll((error) =>
          Effect.as(
            error.reason === "Unavailable"
              ? Effect.logError("cache unavailable: KV outage; computing", { key, error: error.message })
              : Effect.logWarning("cache entry not read; computing", { key, reason: error.reason, error: error.message }),
            Option.none()
          )
        )
      )
      if (Option.isSome(entry)) {
        const freshness = Option.flatMap(entry.value.metadata, decodeFreshness)
        const decoded = yield* Effect.option(decodeStored(schema, storageKey, entry.value.value))
        if (Option.isNone(decoded) || Option.isNone(freshness)) {
          yield* Effect.logWarning("cache entry does not decode; recomputing", { key })
        } else {
          const now = yield* Clock.currentTimeMillis
          if (now < freshness.value.freshUntil) {
            yield* Metric.increment(cacheHits)
            return decoded.value
          }
          if (now < freshness.value.staleUntil) {
            yield* Metric.increment(cacheStaleHits)
            const context = yield* Effect.context<R>()
            yield* runInBackground(
              singleFlight(key, computeAndStore).pipe(
                Effect.provide(context),
                Effect.catchAllCause((cause) => Effect.logWarning("background cache refresh failed", { key, cause: Cause.pretty(cause) })),
                Effect.asVoid
              )
            )
            return decoded.value
          }
        }
      }
      yield* Metric.increment(cacheMisses)
      return yield* singleFlight(key, computeAndStore)
    }).pipe(traced("Cache.getOrSet", { key }))

  return Cache.of({
    getOrSet,
    invalidate: (key) =>
      Effect.flatMap(cacheKey(key), kv.delete).pipe(Effect.mapError((error) => new CacheError({ message: error.message })))
  })
})

/** The cache over the Kv in context. Single flight is per layer instance (per isolate). */
export const layer: Layer.Layer<Cache, never, Kv> = Layer.effect(Cache, make)
