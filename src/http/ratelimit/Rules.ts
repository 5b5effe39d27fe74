/**
 * The rate-limit rules: one table for every bucket. A rule covers paths and counts every request to
 * them per client address; its budgets count the attempts among them (requests Better Auth routed to
 * an endpoint whose input is valid) per address, account, signed-in user or mailbox, and rules that
 * name one budget share it.
 *
 * @module
 */
import { Context, Duration, Layer } from "effect"
import type { RateLimitPolicy } from "../../services/RateLimiter.js"

/**
 * Whose budget an attempt is charged to:
 * - `address`: the client's address (as for the rule's own policy).
 * - `account`: the account the body's `email` names, lower-cased as Better Auth looks accounts up.
 * - `user`: the signed-in user Better Auth resolves for the request, however its session is carried
 *   (a Bearer token, a cookie, both); counted under their email, so an `account` budget and a `user`
 *   budget of one name are one bucket.
 * - `mailbox`: the mailbox the body's `email` names: lower-cased, any `+tag` removed, so every
 *   spelling of one mailbox shares one budget.
 */
export type BudgetSubject = "address" | "account" | "user" | "mailbox"

export interface Budget {
  /** The bucket's name, in its key and in the `RateLimit` header fields. */
  readonly name: string
  readonly per: BudgetSubject
  readonly policy: RateLimitPolicy
}

export interface RateLimitRule {
  /** The bucket's name, in `ratelimit:{ip}:{name}` and in the `RateLimit` header fields. */
  readonly name: string
  /** Normalised path prefixes (whole segments) the rule covers. */
  readonly paths: ReadonlyArray<string>
  /** Per client address: counted for every request to a covered path, routed or not. */
  readonly policy: RateLimitPolicy
  /** When the counter cannot be read or written: let the request through, or refuse it (503). */
  readonly onFailure: "open" | "closed"
  /**
   * Budgets charged once Better Auth has routed the request to an endpoint and found its input
   * valid, before the endpoint runs: every attempt counts, success included, and a request refused
   * before anything is checked (a missing field, a malformed body) costs none of them.
   */
  readonly budgets?: ReadonlyArray<Budget>
}

export interface RateLimitSettings {
  /** Checked in order; the first whose paths match applies. */
  readonly rules: ReadonlyArray<RateLimitRule>
  /**
   * Take the client IP from the first `X-Forwarded-For` entry when `CF-Connecting-IP` is absent.
   * Only for deployments behind a proxy you control; off by default, as the header is forgeable.
   */
  readonly trustForwardedFor: boolean
}

const minute = Duration.minutes(1)

/**
 * Password hashing, the costliest thing a client can make the worker do (scrypt, about 60 ms of CPU
 * each; `docs/security.md`). Every route that hashes a password charges both: at most 5 such
 * requests a minute for one account (10 hashes: a password change hashes twice) and 10 for one
 * address (20 hashes).
 */
export const passwordBudgets = {
  account: { name: "password-account", per: "account", policy: { limit: 5, window: minute } },
  user: { name: "password-account", per: "user", policy: { limit: 5, window: minute } },
  address: { name: "password-address", per: "address", policy: { limit: 10, window: minute } }
} satisfies Record<string, Budget>

/**
 * Mail to one mailbox, whatever the route that sends it and however the address is spelled: at
 * most 5 a minute and 20 an hour.
 */
export const mailBudgets: ReadonlyArray<Budget> = [
  { name: "mail", per: "mailbox", policy: { limit: 5, window: minute } },
  { name: "mail-hour", per: "mailbox", policy: { limit: 20, window: Duration.hours(1) } }
]

/** The defaults, by name; a worker overrides or adds rules by name (`withRules`, `defaultRule`). */
export const defaultRules = [
  // Each request sends a mail and creates no session: few per address, and the mailbox's budget.
  { name: "magic-link", paths: ["/api/auth/sign-in/magic-link"], policy: { limit: 3, window: minute }, budgets: mailBudgets, onFailure: "closed" },
  { name: "magic-link-verify", paths: ["/api/auth/magic-link/verify"], policy: { limit: 10, window: minute }, onFailure: "closed" },
  {
    name: "verification-email",
    paths: ["/api/auth/send-verification-email"],
    policy: { limit: 3, window: minute },
    budgets: mailBudgets,
    onFailure: "closed"
  },
  // The ceremonies: a registration or a sign-in is two requests (options, then verification).
  // Listing, renaming and deleting one's passkeys are ordinary signed-in requests ("auth").
  {
    name: "passkey",
    paths: [
      "/api/auth/passkey/generate-register-options",
      "/api/auth/passkey/verify-registration",
      "/api/auth/passkey/generate-authenticate-options",
      "/api/auth/passkey/verify-authentication"
    ],
    policy: { limit: 20, window: minute },
    onFailure: "closed"
  },
  {
    name: "sign-in",
    // Every sign-in method Better Auth routes here that names an `email` is charged to that account.
    paths: ["/api/auth/sign-in"],
    policy: { limit: 5, window: minute },
    budgets: [passwordBudgets.address, passwordBudgets.account],
    onFailure: "closed"
  },
  {
    name: "sign-up",
    // A sign-up hashes its password whether or not the address has an account, and may send mail.
    paths: ["/api/auth/sign-up"],
    policy: { limit: 3, window: minute },
    budgets: [passwordBudgets.address, passwordBudgets.account, ...mailBudgets],
    onFailure: "closed"
  },
  {
    name: "password-reset-request",
    paths: ["/api/auth/request-password-reset", "/api/auth/forget-password"],
    policy: { limit: 3, window: minute },
    budgets: mailBudgets,
    onFailure: "closed"
  },
  // A reset hashes the new password once per valid token (each one mailed, so within the mail budget).
  { name: "password-reset", paths: ["/api/auth/reset-password"], policy: { limit: 5, window: minute }, budgets: [passwordBudgets.address], onFailure: "closed" },
  {
    name: "password-check",
    // Every route that checks the signed-in user's current password (or, for change-email, acts on
    // the account as if it had), core and plugins; a path of a plugin not installed never routes.
    paths: [
      "/api/auth/change-password",
      "/api/auth/set-password",
      "/api/auth/verify-password",
      "/api/auth/change-email",
      "/api/auth/delete-user",
      "/api/auth/two-factor/enable",
      "/api/auth/two-factor/disable",
      "/api/auth/two-factor/get-totp-uri",
      "/api/auth/two-factor/generate-backup-codes"
    ],
    policy: { limit: 10, window: minute },
    budgets: [passwordBudgets.address, passwordBudgets.user],
    onFailure: "closed"
  },
  { name: "auth", paths: ["/api/auth"], policy: { limit: 100, window: minute }, onFailure: "open" }
] as const satisfies ReadonlyArray<RateLimitRule>

/** The names of the default rules. */
export type DefaultRuleName = (typeof defaultRules)[number]["name"]

/**
 * The default rule named `name`, to change part of it and keep the rest:
 * `{ ...Rules.defaultRule("sign-in"), policy: { limit: 3, window: "1 minute" } }`.
 */
export const defaultRule = (name: DefaultRuleName): RateLimitRule => defaultRules.find((rule) => rule.name === name)!

export class RateLimitRules extends Context.Tag("edge-auth-state/RateLimitRules")<RateLimitRules, RateLimitSettings>() {
  static readonly defaults: RateLimitSettings = { rules: defaultRules, trustForwardedFor: false }
  static readonly layer = (settings: Partial<RateLimitSettings> = {}) =>
    Layer.succeed(RateLimitRules, { ...RateLimitRules.defaults, ...settings })
}

/**
 * The default rules with `rules` merged in, rule by rule: one named as a default replaces it where
 * it stands; any other is checked before the defaults (the first rule whose paths match applies).
 */
export const withRules = (rules: ReadonlyArray<RateLimitRule>, base: ReadonlyArray<RateLimitRule> = defaultRules): ReadonlyArray<RateLimitRule> => {
  const byName = new Map(rules.map((rule) => [rule.name, rule]))
  const added = rules.filter((rule) => !base.some((b) => b.name === rule.name))
  return [...added, ...base.map((rule) => byName.get(rule.name) ?? rule)]
}

/** The first rule covering `endpoint` (normalised), if any. */
export const matchRule = (rules: ReadonlyArray<RateLimitRule>, endpoint: string): RateLimitRule | undefined => {
  for (const rule of rules) {
    for (const prefix of rule.paths) {
      if (endpoint.startsWith(prefix) && (endpoint.length === prefix.length || endpoint[prefix.length] === "/")) return rule
    }
  }
  return undefined
}

/**
 * Every policy of `rules` (per address, and each budget's), with the name of the bucket it counts:
 * what a backend must be able to count, checked when the worker starts. A budget shared by several
 * rules is listed once.
 */
export const rulePolicies = (rules: ReadonlyArray<RateLimitRule>) => {
  const budgets = new Map<string, Budget>()
  for (const rule of rules) for (const budget of rule.budgets ?? []) budgets.set(`${budget.per}:${budget.name}`, budget)
  return [
    ...rules.map((rule) => ({ rule: rule.name, policy: rule.policy })),
    ...Array.from(budgets.values(), (budget) => ({ rule: budget.name, policy: budget.policy }))
  ]
}
