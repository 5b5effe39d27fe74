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
import type { KvPutOptions, KvValueWithMetadata } from "../services/Kv.js"
import { ttlCovering } from "../services/KvValidation.js"
import { currentWindow, RateLimiter, RateLimiterError } from "../services/RateLimiter.js"
import type { RateLimitDecision, RateLimitPolicy } from "../services/RateLimiter.js"
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

type Window = ReturnType<typeof currentWindow>

/** A count this isolate owes KV. */
interface PendingWrite {
  readonly key: string
  readonly value: string
  readonly options: KvPutOptions
}

/** One request's count: decided without I/O, or decided by one read of its bucket. */
type Step =
  | { readonly _tag: "Decided"; readonly decision: RateLimitDecision; readonly write: PendingWrite | undefined }
  | {
    readonly _tag: "Read"
    readonly kvKey: string
    readonly settle: (
      stored: Option.Option<KvValueWithMetadata>
    ) => { readonly decision: RateLimitDecision; readonly write: PendingWrite | undefined }
  }

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

  const entryFor = (key: string, window: Window, now: number): LocalCount => {
    const existing = local.get(key)
    if (existing !== undefined && existing.windowStart === window.start) return existing
    prune(now)
    const fresh = { windowStart: window.start, windowEnd: window.end, count: 0, written: 0, lastWriteAt: Number.NEGATIVE_INFINITY }
    // Re-inserted, not updated in place: the map stays in the order windows were opened.
    local.delete(key)
    local.set(key, fresh)
    return fresh
  }

  /** This isolate's count of the window, as a write to make now; the count is noted as written. */
  const writeOf = (kvKey: string, entry: LocalCount, window: Window, now: number): PendingWrite => {
    entry.written = entry.count
    entry.lastWriteAt = now
    return {
      key: kvKey,
      value: String(entry.count),
      options: { expirationTtl: ttlCovering((window.end - now) / 1000), metadata: { windowStart: window.start, windowMillis: window.windowMillis } }
    }
  }

  /** The count's write, if a second has passed since this isolate last wrote the key. */
  const recordOf = (kvKey: string, entry: LocalCount, window: Window, now: number) =>
    entry.count <= entry.written || now - entry.lastWriteAt < 1000 ? undefined : writeOf(kvKey, entry, window, now)

  const put = (write: PendingWrite) => kv.put(write.key, write.value, write.options)

  /**
   * The count of one request, without I/O: its place is reserved (or refused) here, synchronously,
   * before anything is read. Either the decision is already made (the window is spent here), or it
   * waits on one read of the bucket (`settle`). Each comes with the write it owes KV, if any.
   */
  const begin = (key: string, policy: RateLimitPolicy, now: number): Step => {
    const window = currentWindow(policy, now)
    const kvKey = `ratelimit:${key}`
    const decide = (count: number, allowed: boolean): RateLimitDecision => ({
      allowed,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - count),
      resetAfter: Duration.millis(window.end - now)
    })

    // Reserve this request's place before any I/O: nothing can run between check and update.
    const entry = entryFor(key, window, now)
    if (entry.count >= policy.limit) {
      // Spent here already: deny without reading KV; write only a count a pause held back.
      return { _tag: "Decided", decision: decide(entry.count, false), write: recordOf(kvKey, entry, window, now) }
    }
    entry.count++
    const reserved = entry.count

    return {
      _tag: "Read",
      kvKey,
      settle: (stored) => {
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
          return { decision: decide(storedCount, false), write: undefined }
        }
        entry.count = Math.max(entry.count, storedCount + 1)
        return { decision: decide(Math.max(reserved, storedCount + 1), true), write: recordOf(kvKey, entry, window, now) }
      }
    }
  }

  const slidingWindow = "RateLimiterKv counts fixed windows only: count a sliding window with the Durable Object backend"
  const notRecorded = (error: KvError) => Effect.logWarning("rate limit counter not recorded", error.message)

  const consume = (key: string, policy: RateLimitPolicy) =>
    Effect.suspend(() => {
      if (policy.algorithm === "sliding-window") return Effect.dieMessage(slidingWindow)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const step = begin(key, policy, now)
        if (step._tag === "Decided") {
          return step.write === undefined ? Effect.succeed(step.decision) : Effect.as(Effect.catchAll(put(step.write), notRecorded), step.decision)
        }
        return Effect.flatMap(kv.getWithMetadata(step.kvKey), (stored) => {
          const { decision, write } = step.settle(stored)
          return write === undefined ? Effect.succeed(decision) : Effect.as(put(write), decision)
        })
      })
    }).pipe(Effect.mapError(toLimiterError), traced("RateLimiter.consume"))

  return RateLimiter.of({ consume })
})

/** The rate limiter over the Kv in context. Its in-isolate state lives as long as the layer. */
export const layer: Layer.Layer<RateLimiter, never, Kv> = Layer.effect(RateLimiter, make)
