/**
 * The guard Better Auth asks before running an endpoint (`AttemptGuard`): user fields within their
 * bounds (400 otherwise), then the budgets of the rate-limit rules.
 *
 * @module
 */
import { Effect, Layer, Option } from "effect"
import { AttemptGuard } from "../services/AttemptGuard.js"
import type { AttemptVerdict } from "../services/AttemptGuard.js"
import { authBasePath } from "../services/AuthProvider.js"
import { makeCheck } from "./ratelimit/Budgets.js"
import { matchRule, RateLimitRules } from "./ratelimit/Rules.js"
import { defaultUserFieldLimits, overLimit, writesUserFields } from "./UserFields.js"
import type { UserFieldLimits } from "./UserFields.js"

export const make = (limits: UserFieldLimits = defaultUserFieldLimits) =>
  Effect.gen(function*() {
    const settings = yield* RateLimitRules
    const counts = yield* makeCheck(authBasePath)
    const counted = (endpoint: string) => {
      const rule = matchRule(settings.rules, `${authBasePath}${endpoint}`.toLowerCase())
      return rule?.budgets !== undefined && rule.budgets.length > 0
    }
    return AttemptGuard.of({
      covers: (endpoint) => writesUserFields(endpoint) || counted(endpoint),
      check: (attempt) => {
        if (writesUserFields(attempt.endpoint)) {
          const over = overLimit(attempt.body, limits)
          if (Option.isSome(over)) {
            return Effect.succeed<AttemptVerdict>({
              _tag: "Refused",
              response: Response.json(
                { error: `Field too long: ${over.value.field}`, field: over.value.field, max: over.value.max },
                { status: 400 }
              )
            })
          }
        }
        return counts(attempt)
      }
    })
  })

/** The guard over the rate limiter and rules in context. */
export const layer = (limits?: UserFieldLimits) => Layer.effect(AttemptGuard, make(limits))
