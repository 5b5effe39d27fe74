/**
 * Rate limiting: how many requests a key may make per window.
 *
 * `consume(key, policy)` counts one request against `key` under a fixed-window `policy` and says
 * whether it is allowed. Windows are aligned to the epoch (a 60 s window starts at every whole
 * minute), and their boundaries come from Effect's Clock, so `TestClock` moves them in tests.
 *
 * @module
 */
import { Context, Duration, Effect, Schema } from "effect"

/**
 * How a window is counted. `fixed-window` (the default): windows aligned to the epoch, the count
 * starting again at each boundary, so up to twice the limit can pass around one. `sliding-window`:
 * at most `limit` in any interval of `window`, however it is placed (only the Durable Object
 * backend counts it; the others refuse it at start-up).
 */
export type RateLimitAlgorithm = "fixed-window" | "sliding-window"

/** `limit` requests per `window`. */
export interface RateLimitPolicy {
  readonly limit: number
  readonly window: Duration.DurationInput
  /** Default `fixed-window`. */
  readonly algorithm?: RateLimitAlgorithm | undefined
}

/** The backends the worker can count with (`RATE_LIMIT_BACKEND`). */
export const RateLimitBackend = Schema.Literal("kv", "durable-object", "binding")
export type RateLimitBackend = typeof RateLimitBackend.Type

/** A policy in words, for messages: `5 per 60 s` or `5 per 60 s (sliding-window)`. */
export const describePolicy = (policy: RateLimitPolicy): string => {
  const seconds = Duration.toMillis(policy.window) / 1000
  return `${policy.limit} per ${seconds} s${policy.algorithm === "sliding-window" ? " (sliding-window)" : ""}`
}

export interface RateLimitDecision {
  readonly allowed: boolean
  /** The policy's limit. */
  readonly limit: number
  /** Requests left in the current window after this one. */
  readonly remaining: number
  /** Time until the current window ends and the count starts again. */
  readonly resetAfter: Duration.Duration
}

/** The counter could not be read or written. What to do then is the caller's policy. */
export class RateLimiterError extends Schema.TaggedError<RateLimiterError>()("RateLimiterError", {
  reason: Schema.Literal("Unavailable", "WriteRateLimited"),
  message: Schema.String
}) {}

export interface RateLimiterService {
  /**
   * Counts one request of bucket `key`. A key is one bucket: give it one policy (backends may
   * count two policies of one key together or apart).
   */
  readonly consume: (key: string, policy: RateLimitPolicy) => Effect.Effect<RateLimitDecision, RateLimiterError>
}

export class RateLimiter extends Context.Tag("edge-auth-state/RateLimiter")<RateLimiter, RateLimiterService>() {}

/** The window that `nowMillis` falls in, aligned to the epoch. */
export const currentWindow = (policy: RateLimitPolicy, nowMillis: number) => {
  const windowMillis = Math.max(1, Duration.toMillis(policy.window))
  const start = Math.floor(nowMillis / windowMillis) * windowMillis
  return { start, end: start + windowMillis, windowMillis }
}
