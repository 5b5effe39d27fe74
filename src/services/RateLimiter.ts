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

/** `limit` requests per `window`. */
export interface RateLimitPolicy {
  readonly limit: number
  readonly window: Duration.DurationInput
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
  readonly consume: (key: string, policy: RateLimitPolicy) => Effect.Effect<RateLimitDecision, RateLimiterError>
  /**
   * Gives back one place `consume` took in the current window (an attempt that succeeded). A
   * backend that cannot give places back leaves it out; then a success is counted like a failure.
   */
  readonly release?: (key: string, policy: RateLimitPolicy) => Effect.Effect<void, RateLimiterError>
}

export class RateLimiter extends Context.Tag("edge-auth-state/RateLimiter")<RateLimiter, RateLimiterService>() {}

/** The window that `nowMillis` falls in, aligned to the epoch. */
export const currentWindow = (policy: RateLimitPolicy, nowMillis: number) => {
  const windowMillis = Math.max(1, Duration.toMillis(policy.window))
  const start = Math.floor(nowMillis / windowMillis) * windowMillis
  return { start, end: start + windowMillis, windowMillis }
}
