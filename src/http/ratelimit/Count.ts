/**
 * Counting one request in one bucket, the same way for every kind of bucket: the answer that
 * refuses it (429; or 503 when the counter failed and the rule fails closed), or none to go on.
 *
 * @module
 */
import { Effect, Either, Metric } from "effect"
import { rateLimitRejections } from "../../services/Metrics.js"
import type { RateLimiterError } from "../../services/RateLimiter.js"
import type { RateLimitDecision, RateLimiterService, RateLimitPolicy } from "../../services/RateLimiter.js"
import type { CountedBucket } from "./Headers.js"
import { rateLimitFields, seconds } from "./Headers.js"
import type { RateLimitRule } from "./Rules.js"

/** Why a request is refused: the status, the error and the headers of the answer. */
export interface Refusal {
  readonly status: 429 | 503
  readonly error: string
  readonly headers: Record<string, string>
}

type Bucket = { readonly key: string; readonly name: string; readonly policy: RateLimitPolicy; readonly client: string }

/**
 * What the counter's answer means for the request: the refusal, if any, and what to log. `counted`
 * grows by this bucket when the counter answered.
 */
const judge = (
  rule: RateLimitRule,
  counted: Array<CountedBucket>,
  bucket: Bucket,
  outcome: Either.Either<RateLimitDecision, RateLimiterError>
): { readonly refusal: Refusal | undefined; readonly log: Effect.Effect<void> | undefined } => {
  if (Either.isLeft(outcome)) {
    return {
      refusal: rule.onFailure === "closed"
        ? { status: 503, error: "Rate limiter unavailable", headers: { "retry-after": "1" } }
        : undefined,
      log: Effect.logWarning("rate limiter unavailable", {
        rule: rule.name,
        policy: rule.onFailure,
        reason: outcome.left.reason,
        message: outcome.left.message
      })
    }
  }
  const decision = outcome.right
  counted.push({ name: bucket.name, policy: bucket.policy, decision })
  if (decision.allowed) return { refusal: undefined, log: undefined }
  return {
    refusal: {
      status: 429,
      error: "Too many requests",
      headers: { ...rateLimitFields(counted), "retry-after": String(Math.max(1, seconds(decision.resetAfter))) }
    },
    log: Effect.zipRight(Effect.logInfo("rate limited", { rule: bucket.name, client: bucket.client }), Metric.increment(rateLimitRejections))
  }
}

/**
 * Counts one request at `key`; `counted` (the buckets counted so far for this request) grows by
 * this one when the counter answered.
 */
export const countIn = (
  limiter: RateLimiterService,
  rule: RateLimitRule,
  counted: Array<CountedBucket>,
  bucket: Bucket
): Effect.Effect<Refusal | undefined> =>
  Effect.flatMap(Effect.either(limiter.consume(bucket.key, bucket.policy)), (outcome) => {
    const { log, refusal } = judge(rule, counted, bucket, outcome)
    return log === undefined ? Effect.succeed(refusal) : Effect.as(log, refusal)
  })
