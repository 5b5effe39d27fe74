/**
 * The budgets of the rules table, as the auth provider's guard.
 *
 * They are charged only for attempts: requests Better Auth routed to a real endpoint (a 404 path
 * costs an account nothing) whose input the endpoint takes (a missing field costs nothing either),
 * from the body Better Auth parsed (so every encoding it accepts is counted, and what was counted is
 * what it acts on), and for the user Better Auth resolves for the request. A place is taken before
 * the endpoint runs, so a burst is counted exactly, and every attempt keeps it, success included.
 * The client address's budgets are charged first: an address over its own budget spends no place
 * of the account it names.
 *
 * An answer reports the client's own buckets (its address's, and the signed-in user's), not those
 * of the account or the mailbox its body names: what is left there counts other people's attempts
 * (the owner's sign-ins, their reset requests), which would tell anyone probing an address that it
 * is in use. They are reported only in the answer they refuse, which every address gets alike once
 * a bucket is spent (docs/security.md).
 *
 * @module
 */
import { Effect, Option } from "effect"
import type { Attempt, AttemptVerdict } from "../../services/AttemptGuard.js"
import { RateLimiter } from "../../services/RateLimiter.js"
import { accountEmail, digest, mailboxOf } from "./Account.js"
import { clientBucket } from "./ClientAddress.js"
import type { Refusal } from "./Count.js"
import { countIn } from "./Count.js"
import type { CountedBucket } from "./Headers.js"
import { rateLimitFields } from "./Headers.js"
import type { Budget, BudgetSubject } from "./Rules.js"
import { matchRule, RateLimitRules } from "./Rules.js"

const admittedUncounted: AttemptVerdict = { _tag: "Admitted", headers: {} }

/** A refusal, its rate-limit fields naming `shown` (a 503 names none: nothing was counted). */
const refusedWith = (refusal: Refusal, shown: ReadonlyArray<CountedBucket>): AttemptVerdict => ({
  _tag: "Refused",
  response: Response.json({ error: refusal.error }, {
    status: refusal.status,
    headers: refusal.status === 429 ? { ...refusal.headers, ...rateLimitFields(shown) } : refusal.headers
  })
})

/** Whose buckets an answer reports: the client's own (see the module's comment). */
const reported: Record<BudgetSubject, boolean> = { address: true, user: true, account: false, mailbox: false }

/** Address budgets first (see the module's comment); the others in the rule's order. */
const order: Record<BudgetSubject, number> = { address: 0, account: 1, user: 1, mailbox: 1 }

/** The guard's check, over the limiter and the rules in context. `basePath` is Better Auth's. */
export const makeCheck = (basePath: string) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    const settings = yield* RateLimitRules

    return (attempt: Attempt): Effect.Effect<AttemptVerdict> =>
      Effect.gen(function*() {
        const rule = matchRule(settings.rules, `${basePath}${attempt.endpoint}`.toLowerCase())
        if (rule?.budgets === undefined || rule.budgets.length === 0 || !attempt.valid) return admittedUncounted
        const client = clientBucket(Object.fromEntries(attempt.headers), settings.trustForwardedFor)

        /** Whose place the attempt takes in `budget`: the bucket key's subject, if the request names one. */
        const subjectOf = (budget: Budget): Effect.Effect<Option.Option<string>> => {
          switch (budget.per) {
            case "address":
              return Effect.succeed(Option.some(client))
            case "account":
              return Option.match(accountEmail(attempt.body), {
                onNone: () => Effect.succeedNone,
                onSome: (email) => Effect.map(digest(email), (d) => Option.some(`account:${d}`))
              })
            case "user":
              // Under their email, so one account's `account` and `user` budgets are one bucket.
              return Effect.flatMap(attempt.user, (user) =>
                Option.match(user, {
                  onNone: () => Effect.succeedNone,
                  onSome: ({ email }) => Effect.map(digest(email.toLowerCase()), (d) => Option.some(`account:${d}`))
                }))
            case "mailbox":
              return Option.match(accountEmail(attempt.body), {
                onNone: () => Effect.succeedNone,
                onSome: (email) => Effect.map(digest(mailboxOf(email)), (d) => Option.some(`mailbox:${d}`))
              })
          }
        }

        const counted: Array<CountedBucket> = []
        const shown: Array<CountedBucket> = []
        for (const budget of [...rule.budgets].sort((a, b) => order[a.per] - order[b.per])) {
          const subject = yield* subjectOf(budget)
          if (Option.isNone(subject)) continue
          const before = counted.length
          const refusal = yield* countIn(limiter, rule, counted, {
            key: `${subject.value}:${budget.name}`,
            name: budget.name,
            policy: budget.policy,
            client
          })
          // This bucket, when the counter answered (`countIn` adds it then).
          const bucket = counted.length > before ? counted[before] : undefined
          if (refusal !== undefined) return refusedWith(refusal, bucket === undefined ? shown : [...shown, bucket])
          if (bucket !== undefined && reported[budget.per]) shown.push(bucket)
        }
        return { _tag: "Admitted", headers: shown.length > 0 ? rateLimitFields(shown) : {} } satisfies AttemptVerdict
      })
  })
