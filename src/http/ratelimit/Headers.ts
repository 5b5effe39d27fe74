/**
 * The `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-11): one
 * item per bucket a request was counted in.
 *
 * @module
 */
import { Duration } from "effect"
import type { RateLimitDecision, RateLimitPolicy } from "../../services/RateLimiter.js"

/** A bucket that was counted for this request, and what it said. */
export interface CountedBucket {
  readonly name: string
  readonly policy: RateLimitPolicy
  readonly decision: RateLimitDecision
}

/** Whole seconds, rounded up. */
export const seconds = (duration: Duration.Duration) => Math.max(0, Math.ceil(Duration.toMillis(duration) / 1000))

/** A bucket's `RateLimit-Policy` item: the same for every request counted in it, so written once. */
const policyItems = new WeakMap<RateLimitPolicy, Map<string, string>>()
const policyItem = (name: string, policy: RateLimitPolicy) => {
  let byName = policyItems.get(policy)
  if (byName === undefined) policyItems.set(policy, byName = new Map())
  let item = byName.get(name)
  if (item === undefined) byName.set(name, item = `"${name}";q=${policy.limit};w=${seconds(Duration.decode(policy.window))}`)
  return item
}

/** `RateLimit-Policy` and `RateLimit`, one item per bucket. */
export const rateLimitFields = (counted: ReadonlyArray<CountedBucket>): Record<string, string> => ({
  "ratelimit-policy": counted.map((c) => policyItem(c.name, c.policy)).join(", "),
  ratelimit: counted.map((c) => `"${c.name}";r=${c.decision.remaining};t=${seconds(c.decision.resetAfter)}`).join(", ")
})

/**
 * Headers of two stages of counting on one response: list fields (the rate-limit ones) are
 * joined, items of the earlier stage first.
 */
export const mergeFields = (earlier: Record<string, string>, later: Record<string, string>): Record<string, string> => {
  const merged = { ...earlier }
  for (const [name, value] of Object.entries(later)) {
    merged[name] = merged[name] !== undefined && (name === "ratelimit" || name === "ratelimit-policy")
      ? `${merged[name]}, ${value}`
      : value
  }
  return merged
}
