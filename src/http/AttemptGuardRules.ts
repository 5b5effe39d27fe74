/**
 * The guard Better Auth asks before running an endpoint (`AttemptGuard`): with mail turned off
 * (`MAILER=none`), the routes that exist to send it answer 503 `MAIL_DISABLED`; user fields within
 * their bounds (400 otherwise); then the budgets of the rate-limit rules.
 *
 * @module
 */
import { Effect, Layer, Option } from "effect"
import { AttemptGuard } from "../services/AttemptGuard.js"
import type { AttemptVerdict } from "../services/AttemptGuard.js"
import { authBasePath } from "../services/AuthProvider.js"
import { Mailer } from "../services/Mailer.js"
import { makeCheck } from "./ratelimit/Budgets.js"
import { matchRule, RateLimitRules } from "./ratelimit/Rules.js"
import { defaultUserFieldLimits, overLimit, writesUserFields } from "./UserFields.js"
import type { UserFieldLimits } from "./UserFields.js"

/** The routes (under the auth base path) that exist to send mail. */
export const mailEndpoints: ReadonlyArray<string> = ["/sign-in/magic-link", "/request-password-reset", "/send-verification-email"]

/** A new answer each time: a response's body is read once. */
const mailDisabled = (): AttemptVerdict => ({
  _tag: "Refused",
  response: Response.json({ error: "Mail is turned off on this server", code: "MAIL_DISABLED" }, { status: 503 })
})

export const make = (limits: UserFieldLimits = defaultUserFieldLimits) =>
  Effect.gen(function*() {
    const settings = yield* RateLimitRules
    const mailOff = (yield* Mailer).disabled === true
    const needsMail = (endpoint: string) => mailOff && mailEndpoints.includes(endpoint)
    const counts = yield* makeCheck(authBasePath)
    const counted = (endpoint: string) => {
      const rule = matchRule(settings.rules, `${authBasePath}${endpoint}`.toLowerCase())
      return rule?.budgets !== undefined && rule.budgets.length > 0
    }
    return AttemptGuard.of({
      covers: (endpoint) => needsMail(endpoint) || writesUserFields(endpoint) || counted(endpoint),
      check: (attempt) => {
        if (needsMail(attempt.endpoint)) return Effect.sync(mailDisabled)
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

/** The guard over the rate limiter, the rules and the mailer in context. */
export const layer = (limits?: UserFieldLimits) => Layer.effect(AttemptGuard, make(limits))
