/**
 * The rate limiter over Kv: a fixed-window counter at `ratelimit:<key>`, the count as the value and
 * the window it belongs to (`{ windowStart, windowMillis }`) as metadata, with a KV TTL covering the
 * rest of the window (at least KV's 60 s). Because the window is stored, a window shorter than 60 s
 * ends exactly on time although its key outlives it.
 *
 * KV has no atomic increment and takes about one write per second per key, so:
 * - within this isolate the count is also kept in memory, and a request reserves its place in it
 *   synchronously before any I/O: a burst never admits more than the limit here, and no request
 *   ever waits on another (which workerd would not allow across requests);
 * - a key is written at most once a second; increments in between are carried by the next write;
 * - once a window is exhausted here, denials neither read nor write KV.
 * Across isolates and locations the count is the largest any one of them wrote: an undercount by
 * what other isolates admitted since they last wrote. See the README.
 *
 * @module
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { Kv, storeFailureReason } from "../services/Kv.js"
import type { KvError } from "../services/Kv.js"
import { ttlCovering } from "../services/KvValidation.js"
import { currentWindow, RateLimiter, RateLimiterError } from "../services/RateLimiter.js"
import type { RateLimitPolicy } from "../services/RateLimiter.js"
import { traced } from "../services/Tracing.js"

const WindowMetadata = Schema.Struct({ windowStart: Schema.Number, windowMillis: Schema.Number })
const decodeWindow = Schema.decodeUnknownOption(WindowMetadata)

interface LocalCount {
  readonly windowStart: number
  readonly windowEnd: number
  /** Requests admitted in this window, as far as this isolate knows. */
  count: number
  /** The count this isolate last wrote, and when. */
  written: number
  lastWriteAt: number
}

/** At most this many keys are remembered. */
const maxLocalKeys = 10_000
/** When full, forgetting goes down to this many, so that it happens once per thousand new keys. */
const pruneTo = 9_000

const toLimiterError = (error: KvError) => new RateLimiterError({ reason: storeFailureReason(error), message: error.message })

export const make = Effect.gen(function*() {
  const kv = yield* Kv
  const local = new Map<string, LocalCount>()

  /**
   * Makes room once the map is full, forgetting first windows that have ended, then keys whose
   * count KV already holds, then, if that is still not enough, keys with a count not yet written
   * (each group oldest first: the map keeps keys in the order their windows opened). It frees a
   * thousand places at a time, so its cost is spread over the new keys that follow, not paid by
   * each of them.
   */
  const prune = (now: number) => {
    if (local.size < maxLocalKeys) return
    const forget = (which: (entry: LocalCount) => boolean) => {
      for (const [key, entry] of local) {
        if (local.size <= pruneTo) return
        if (which(entry)) local.delete(key)
      }
    }
    for (const [key, entry] of local) if (entry.windowEnd <= now) local.delete(key)
    forget((entry) => entry.count <= entry.written)
    forget(() => true)
  }

  const entryFor = (key: string, window: ReturnType<typeof currentWindow>, now: number): LocalCount => {
    const existing = local.get(key)
    if (existing !== undefined && existing.windowStart === window.start) return existing
    prune(now)
    const fresh = { windowStart: window.start, windowEnd: window.end, count: 0, written: 0, lastWriteAt: Number.NEGATIVE_INFINITY }
    // Re-inserted, not updated in place: the map stays in the order windows were opened.
    local.delete(key)
    local.set(key, fresh)
    return fresh
  }

  /** Writes this isolate's count of the window, and notes it as written now. */
  const writeCount = (kvKey: string, entry: LocalCount, window: ReturnType<typeof currentWindow>, now: number) => {
    entry.written = entry.count
    entry.lastWriteAt = now
    return kv.put(kvKey, String(entry.count), {
      expirationTtl: ttlCovering((window.end - now) / 1000),
      metadata: { windowStart: window.start, windowMillis: window.windowMillis }
    })
  }

  /** Writes the count if a second has passed since this isolate last wrote the key. */
  const record = (kvKey: string, entry: LocalCount, window: ReturnType<typeof currentWindow>, now: number) =>
    entry.count <= entry.written || now - entry.lastWriteAt < 1000 ? Effect.void : writeCount(kvKey, entry, window, now)

  const consume = (key: string, policy: RateLimitPolicy) =>
    Effect.gen(function*() {
      if (policy.algorithm === "sliding-window") {
        return yield* Effect.dieMessage("RateLimiterKv counts fixed windows only: count a sliding window with the Durable Object backend")
      }
      const now = yield* Clock.currentTimeMillis
      const window = currentWindow(policy, now)
      const kvKey = `ratelimit:${key}`
      const decide = (count: number, allowed: boolean) => ({
        allowed,
        limit: policy.limit,
        remaining: Math.max(0, policy.limit - count),
        resetAfter: Duration.millis(window.end - now)
      })

      // Reserve this request's place before any I/O: nothing can run between check and update.
      const entry = entryFor(key, window, now)
      if (entry.count >= policy.limit) {
        // Spent here already: deny without reading KV; write only a count a pause held back.
        yield* record(kvKey, entry, window, now).pipe(
          Effect.catchAll((error) => Effect.logWarning("rate limit counter not recorded", error.message))
        )
        return decide(entry.count, false)
      }
      entry.count++
      const reserved = entry.count

      const stored = yield* kv.getWithMetadata(kvKey)
      const storedCount = Option.match(stored, {
        onNone: () => 0,
        onSome: ({ metadata, value }) =>
          Option.match(Option.flatMap(metadata, decodeWindow), {
            onNone: () => 0,
            onSome: (w) => (w.windowStart === window.start ? Number.parseInt(value, 10) || 0 : 0)
          })
      })
      if (storedCount >= policy.limit) {
        // Other isolates spent the window: give the place back as a denial.
        entry.count = Math.max(entry.count, storedCount)
        return decide(storedCount, false)
      }
      entry.count = Math.max(entry.count, storedCount + 1)
      yield* record(kvKey, entry, window, now)
      return decide(Math.max(reserved, storedCount + 1), true)
    }).pipe(Effect.mapError(toLimiterError), traced("RateLimiter.consume"))

  /**
   * Takes one place back from this isolate's count and writes the lower count at once (a release
   * follows its reservation closely, so this write may come within KV's second per key; where KV
   * refuses it, the place is given back in this isolate only).
   */
  const release = (key: string, policy: RateLimitPolicy) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const window = currentWindow(policy, now)
      const entry = local.get(key)
      if (entry === undefined || entry.windowStart !== window.start || entry.count === 0) return
      entry.count--
      if (entry.written <= entry.count) return
      yield* writeCount(`ratelimit:${key}`, entry, window, now)
    }).pipe(Effect.mapError(toLimiterError), traced("RateLimiter.release"))

  return RateLimiter.of({ consume, release })
})

/** The rate limiter over the Kv in context. Its in-isolate state lives as long as the layer. */
export const layer: Layer.Layer<RateLimiter, never, Kv> = Layer.effect(RateLimiter, make)
