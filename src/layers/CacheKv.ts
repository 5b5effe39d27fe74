/**
 * The cache over Kv. An entry lives at `cache:<key>` as the Schema-encoded JSON of its value, with
 * `{ freshUntil, staleUntil }` (epoch ms) as KV metadata, enforced with Effect's Clock; the KV TTL
 * covers both (at least KV's 60 s).
 *
 * @module
 */
import { Cause, Clock, Duration, Effect, Exit, Layer, Metric, Option, Schema } from "effect"
import { runInBackground } from "../services/BackgroundTasks.js"
import { Cache, CacheError, cacheKey, defaultTtl } from "../services/Cache.js"
import type { CacheOptions, CacheService } from "../services/Cache.js"
import { jsonCodec, Kv } from "../services/Kv.js"
import { ttlCovering } from "../services/KvValidation.js"
import { cacheHits, cacheMisses, cacheStaleHits } from "../services/Metrics.js"
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

export const make = Effect.gen(function*() {
  const kv = yield* Kv
  const inflight = new Map<string, Flight>()

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

  const store = <A, I>(key: string, schema: Schema.Schema<A, I, never>, value: A, ttl: Duration.Duration, grace: Duration.Duration) =>
    Effect.gen(function*() {
      const json = yield* jsonCodec(schema).encode(value)
      const now = yield* Clock.currentTimeMillis
      const freshUntil = now + Duration.toMillis(ttl)
      const staleUntil = freshUntil + Duration.toMillis(grace)
      yield* kv.put(cacheKey(key), json, {
        expirationTtl: ttlCovering((staleUntil - now) / 1000),
        metadata: { freshUntil, staleUntil }
      })
    }).pipe(
      Effect.catchAll((error) => Effect.logWarning("cache entry not stored", { key, error: error.message }))
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
      const computeAndStore = Effect.tap(compute, (value) => store(key, schema, value, ttl, grace))

      const entry = yield* kv.getWithMetadata(cacheKey(key)).pipe(
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning("cache unavailable; computing", { key, error: error.message }), Option.none())
        )
      )
      if (Option.isSome(entry)) {
        const freshness = Option.flatMap(entry.value.metadata, decodeFreshness)
        const decoded = yield* Effect.option(jsonCodec(schema).decode(entry.value.value))
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
      kv.delete(cacheKey(key)).pipe(Effect.mapError((error) => new CacheError({ message: error.message })))
  })
})

/** The cache over the Kv in context. Single flight is per layer instance (per isolate). */
export const layer: Layer.Layer<Cache, never, Kv> = Layer.effect(Cache, make)
