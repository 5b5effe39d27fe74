/**
 * The rate limiter over Cloudflare's Workers Rate Limiting binding (`[[ratelimits]]`).
 *
 * The binding is fast (no storage round trip) and cheap, but it is approximate and counts per
 * Cloudflare location, and each binding has one fixed policy: a limit per 10 or 60 seconds, set in
 * `wrangler.toml`. So the worker needs one binding per distinct policy its rules use, named after
 * the policy: `RATE_LIMIT_<limit>_PER_<period>S` (e.g. `RATE_LIMIT_5_PER_60S`). A bucket key (e.g.
 * `203.0.113.7:sign-in`) is the binding's key, so rules sharing a policy share a binding but never
 * a count. `plan` checks every policy at start-up: a sliding window, a period other than 10 or
 * 60 s, or a missing binding is refused there, with the `wrangler.toml` lines to add.
 *
 * The binding answers only "allowed or not". `remaining` is this isolate's own count of the window
 * (an estimate: other isolates and locations count too), and `resetAfter` is the time to the end of
 * the epoch-aligned period, as Miniflare counts it.
 *
 * A fixed window of another length (an hourly budget, say) is counted by the limiter given as
 * `longerWindows` (the worker gives its KV limiter), so rules need not be shaped around the
 * binding; a sliding window is refused at start-up.
 *
 * @module
 */
import { Clock, Duration, Effect, Either, Layer } from "effect"
import { currentWindow, describePolicy, RateLimiter, RateLimiterError } from "../services/RateLimiter.js"
import type { RateLimitPolicy, RateLimiterService } from "../services/RateLimiter.js"
import { traced } from "../services/Tracing.js"

/** What a `[[ratelimits]]` binding offers (`RateLimit` in @cloudflare/workers-types). */
export interface RateLimitBinding {
  readonly limit: (options: { readonly key: string }) => Promise<{ readonly success: boolean }>
}

/** The periods the binding can count, in seconds. */
export const supportedPeriods: ReadonlyArray<number> = [10, 60]

/** The binding a policy is counted by: `RATE_LIMIT_<limit>_PER_<period>S`. */
export const bindingNameFor = (policy: RateLimitPolicy): string =>
  `RATE_LIMIT_${policy.limit}_PER_${Duration.toMillis(policy.window) / 1000}S`

/** Whether a binding counts `policy`'s window (10 or 60 s); other fixed windows go to `longerWindows`. */
export const countsWindow = (policy: RateLimitPolicy): boolean =>
  supportedPeriods.includes(Duration.toMillis(policy.window) / 1000)

/** Why neither the binding nor `longerWindows` can count `policy`, if they cannot. */
const unsupported = (policy: RateLimitPolicy): string | undefined => {
  if (policy.algorithm === "sliding-window") return "it counts fixed windows only"
  if (!countsWindow(policy)) return undefined
  if (!Number.isInteger(policy.limit) || policy.limit < 1) return "its limit is a positive whole number"
  return undefined
}

const isBinding = (value: unknown): value is RateLimitBinding =>
  typeof value === "object" && value !== null && typeof (value as { limit?: unknown }).limit === "function"

/**
 * The bindings `policies` need, found in `env` by name, or every problem, each in one line naming
 * the policy and what to do. Run at start-up.
 */
export const plan = (
  policies: ReadonlyArray<{ readonly rule: string; readonly policy: RateLimitPolicy }>,
  env: Readonly<Record<string, unknown>>
): Either.Either<ReadonlyMap<string, RateLimitBinding>, ReadonlyArray<string>> => {
  const problems: Array<string> = []
  const bindings = new Map<string, RateLimitBinding>()
  for (const { policy, rule } of policies) {
    const why = unsupported(policy)
    if (why === undefined && !countsWindow(policy)) continue
    if (why !== undefined) {
      problems.push(
        `RATE_LIMIT_BACKEND=binding cannot count rule "${rule}" (${describePolicy(policy)}): the Workers Rate Limiting binding ${why}; change the rule or use RATE_LIMIT_BACKEND=durable-object`
      )
      continue
    }
    const name = bindingNameFor(policy)
    if (bindings.has(name)) continue
    const binding = env[name]
    if (isBinding(binding)) bindings.set(name, binding)
    else if (!problems.some((p) => p.includes(`\`${name}\``))) {
      problems.push(
        `Rate Limiting binding \`${name}\` is missing (RATE_LIMIT_BACKEND=binding, rule "${rule}"): add to wrangler.toml [[ratelimits]] name = "${name}", namespace_id = "<unique number>", simple = { limit = ${policy.limit}, period = ${Duration.toMillis(policy.window) / 1000} }`
      )
    }
  }
  return problems.length > 0 ? Either.left(problems) : Either.right(bindings)
}

interface LocalCount {
  windowStart: number
  count: number
}

/**
 * The rate limiter over the bindings `plan` found, with `longerWindows` counting the fixed windows
 * a binding cannot. A policy neither can count is a defect (`plan` names it at start-up).
 */
export const make = (bindings: ReadonlyMap<string, RateLimitBinding>, longerWindows?: RateLimiterService): RateLimiterService => {
  const local = new Map<string, LocalCount>()
  return RateLimiter.of({
    consume: (key, policy) =>
      Effect.gen(function*() {
        if (longerWindows !== undefined && policy.algorithm !== "sliding-window" && !countsWindow(policy)) {
          return yield* longerWindows.consume(key, policy)
        }
        const name = bindingNameFor(policy)
        const binding = bindings.get(name)
        if (binding === undefined || unsupported(policy) !== undefined || !countsWindow(policy)) {
          return yield* Effect.dieMessage(`RateLimiterBinding: no binding for ${describePolicy(policy)} (${name}); check the rules with plan() at start-up`)
        }
        const outcome = yield* Effect.tryPromise({
          try: () => binding.limit({ key }),
          catch: (cause) =>
            new RateLimiterError({
              reason: "Unavailable",
              message: `rate limiting binding failed: ${cause instanceof Error ? cause.message : String(cause)}`
            })
        })
        const now = yield* Clock.currentTimeMillis
        const window = currentWindow(policy, now)
        const localKey = `${name}\u0000${key}`
        let seen = local.get(localKey)
        if (seen === undefined || seen.windowStart !== window.start) {
          if (local.size >= 10_000) local.clear()
          local.set(localKey, seen = { windowStart: window.start, count: 0 })
        }
        if (outcome.success) seen.count++
        return {
          allowed: outcome.success,
          limit: policy.limit,
          remaining: outcome.success ? Math.max(0, policy.limit - seen.count) : 0,
          resetAfter: Duration.millis(window.end - now)
        }
      }).pipe(traced("RateLimiter.consume"))
  })
}

/** The rate limiter over the given bindings (see `plan`). */
export const layer = (bindings: ReadonlyMap<string, RateLimitBinding>, longerWindows?: RateLimiterService): Layer.Layer<RateLimiter> =>
  Layer.sync(RateLimiter, () => make(bindings, longerWindows))
