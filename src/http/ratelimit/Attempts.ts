/**
 * The per-account and per-user buckets of the rules table, as the auth provider's guard.
 *
 * They are counted only for requests Better Auth routed to a real endpoint (a 404 path costs an
 * account nothing), from the body Better Auth parsed (so every encoding it accepts is counted, and
 * what was counted is what it acts on). A place is reserved before the endpoint runs, so a burst is
 * counted exactly; where the rule says so, an attempt that signs in (or succeeds) gives it back.
 *
 * @module
 */
import { Effect, Option } from "effect"
import type { AuthAttempt, AuthOutcome, AuthVerdict } from "../../services/AuthGuard.js"
import { RateLimiter } from "../../services/RateLimiter.js"
import { accountOf } from "./Account.js"
import { clientBucket } from "./ClientAddress.js"
import type { Refusal } from "./Count.js"
import { countIn } from "./Count.js"
import type { Counted } from "./Headers.js"
import { rateLimitFields } from "./Headers.js"
import type { AttemptPolicy } from "./Rules.js"
import { matchRule, RateLimitRules } from "./Rules.js"

const refusedWith = (refusal: Refusal): AuthVerdict => ({
  _tag: "Refused",
  response: Response.json({ error: refusal.error }, { status: refusal.status, headers: refusal.headers })
})

/** The guard's check, over the limiter and the rules in context. `basePath` is Better Auth's. */
export const makeCheck = (basePath: string) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    const settings = yield* RateLimitRules

    return (attempt: AuthAttempt): Effect.Effect<AuthVerdict> =>
      Effect.gen(function*() {
        const rule = matchRule(settings.rules, `${basePath}${attempt.endpoint}`.toLowerCase())
        if (rule === undefined || (rule.perAccount === undefined && rule.perUser === undefined)) {
          return { _tag: "Admitted", headers: {}, settle: () => Effect.void } satisfies AuthVerdict
        }
        const client = clientBucket(Object.fromEntries(attempt.headers), settings.trustForwardedFor)
        const counted: Array<Counted> = []
        const releases: Array<{ readonly when: "signed-in" | "succeeded"; readonly release: Effect.Effect<void> }> = []
        const releaseAll = (outcome: AuthOutcome | undefined) =>
          Effect.all(
            releases.filter(({ when }) => outcome === undefined || (when === "signed-in" ? outcome.signedIn : outcome.succeeded)).map((r) => r.release),
            { discard: true }
          )

        const count = (key: string, name: string, policy: AttemptPolicy) =>
          Effect.tap(countIn(limiter, rule, counted, { key, name, policy, client }), (refusal) => {
            const release = limiter.release
            if (refusal === undefined && policy.release !== undefined && release !== undefined) {
              releases.push({
                when: policy.release,
                release: Effect.catchAll(release(key, policy), (error) => Effect.logWarning("rate limit place not given back", error.message))
              })
            }
          })

        if (rule.perAccount !== undefined) {
          const account = yield* accountOf(attempt.body)
          if (Option.isSome(account)) {
            const refusal = yield* count(`account:${account.value}:${rule.name}`, `${rule.name}-account`, rule.perAccount)
            if (refusal !== undefined) return refusedWith(refusal)
          }
        }
        if (rule.perUser !== undefined) {
          const user = yield* attempt.userId
          if (Option.isSome(user)) {
            const refusal = yield* count(`user:${user.value}:${rule.name}`, `${rule.name}-user`, rule.perUser)
            if (refusal !== undefined) {
              // Not attempted: the places taken in the other buckets go back.
              yield* releaseAll(undefined)
              return refusedWith(refusal)
            }
          }
        }
        return {
          _tag: "Admitted",
          headers: counted.length > 0 ? rateLimitFields(counted) : {},
          settle: releaseAll
        } satisfies AuthVerdict
      })
  })
