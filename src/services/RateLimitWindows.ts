/**
 * The windows of a rate limit (fixed or sliding), counted exactly for one bucket as a pure step:
 * the state before, the policy and the time in; the decision and the state after out. The Durable Object backend runs it inside the one object
 * that owns a bucket (so nothing runs between the read and the write); tests run it with
 * `TestClock`. Time comes from Effect's `Clock`.
 *
 * @module
 */
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { currentWindow } from "./RateLimiter.js"
import type { RateLimitDecision, RateLimitPolicy } from "./RateLimiter.js"

/** A fixed window's count, or a sliding window's admitted times (epoch ms, oldest first, at most `limit`). */
export const CounterState = Schema.Union(
  Schema.TaggedStruct("Fixed", { windowStart: Schema.Number, count: Schema.Number }),
  Schema.TaggedStruct("Sliding", { hits: Schema.Array(Schema.Number) })
)
export type CounterState = typeof CounterState.Type

export interface CountOutcome {
  readonly decision: RateLimitDecision
  /** The state to keep: unchanged when the request was refused. */
  readonly state: CounterState
  /** Epoch ms after which the state no longer matters and may be deleted. */
  readonly expiresAt: number
}

/** The key a policy's state is kept under within one bucket. */
export const policyKey = (policy: RateLimitPolicy): string =>
  `${policy.algorithm ?? "fixed-window"}:${policy.limit}:${Math.max(1, Duration.toMillis(policy.window))}`

const fixed = (previous: Option.Option<CounterState>, policy: RateLimitPolicy, now: number): CountOutcome => {
  const window = currentWindow(policy, now)
  const count = Option.match(previous, {
    onNone: () => 0,
    onSome: (s) => (s._tag === "Fixed" && s.windowStart === window.start ? s.count : 0)
  })
  const resetAfter = Duration.millis(window.end - now)
  if (count >= policy.limit) {
    return {
      decision: { allowed: false, limit: policy.limit, remaining: 0, resetAfter },
      state: { _tag: "Fixed", windowStart: window.start, count },
      expiresAt: window.end
    }
  }
  return {
    decision: { allowed: true, limit: policy.limit, remaining: policy.limit - count - 1, resetAfter },
    state: { _tag: "Fixed", windowStart: window.start, count: count + 1 },
    expiresAt: window.end
  }
}

const sliding = (previous: Option.Option<CounterState>, policy: RateLimitPolicy, now: number): CountOutcome => {
  const windowMillis = Math.max(1, Duration.toMillis(policy.window))
  // A request admitted at `t` counts while now < t + window.
  const hits = Option.match(previous, {
    onNone: () => [],
    onSome: (s) => (s._tag === "Sliding" ? s.hits.filter((t) => t + windowMillis > now) : [])
  })
  if (hits.length >= policy.limit) {
    // The oldest admitted request leaves the window first and frees a place.
    const frees = hits[hits.length - policy.limit]! + windowMillis
    return {
      decision: { allowed: false, limit: policy.limit, remaining: 0, resetAfter: Duration.millis(frees - now) },
      state: { _tag: "Sliding", hits },
      expiresAt: hits[hits.length - 1]! + windowMillis
    }
  }
  const after = [...hits, now]
  return {
    decision: {
      allowed: true,
      limit: policy.limit,
      remaining: policy.limit - after.length,
      resetAfter: Duration.millis(after[0]! + windowMillis - now)
    },
    state: { _tag: "Sliding", hits: after },
    expiresAt: now + windowMillis
  }
}

/** Counts one request against `previous` under `policy` at `nowMillis`. */
export const countAt = (previous: Option.Option<CounterState>, policy: RateLimitPolicy, nowMillis: number): CountOutcome =>
  policy.algorithm === "sliding-window" ? sliding(previous, policy, nowMillis) : fixed(previous, policy, nowMillis)

/** Where one bucket's state is kept: SQLite in the Durable Object, a Map in tests. */
export interface CounterStorage {
  readonly read: (policyKey: string) => Option.Option<CounterState>
  readonly write: (policyKey: string, state: CounterState, expiresAt: number) => void
}

/**
 * Counts one request of one bucket, reading and writing `storage` with nothing in between (the
 * storage calls are synchronous), at the Clock's time. Returns the decision and the time the
 * bucket's state can be forgotten.
 */
export const consume = (storage: CounterStorage, policy: RateLimitPolicy) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const key = policyKey(policy)
    const counted = countAt(storage.read(key), policy, now)
    if (counted.decision.allowed) storage.write(key, counted.state, counted.expiresAt)
    return counted
  })
