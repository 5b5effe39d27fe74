/**
 * The rate-limit rules: one table for every bucket, per client address, per account and per user.
 *
 * @module
 */
import { Context, Duration, Layer } from "effect"
import type { RateLimitPolicy } from "../../services/RateLimiter.js"

/** A per-account or per-user bucket. */
export interface AttemptPolicy extends RateLimitPolicy {
  /**
   * When an attempt gives its place back. Places are reserved before the attempt runs (so a burst
   * is counted exactly); with `"signed-in"` an attempt that created a session releases its place,
   * with `"succeeded"` one that answered without an error does, so only failures use places up.
   * Without it every attempt counts (requests that send something, e.g. a reset email).
   */
  readonly release?: "signed-in" | "succeeded"
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
   * Also count the request against the account its body names (`email`, lower-cased as Better
   * Auth does), once Better Auth has routed it to a real endpoint and parsed its body, so that
   * rotating client addresses cannot multiply the attempts one account receives.
   */
  readonly perAccount?: AttemptPolicy
  /** Also count the request against the signed-in user it is made for (password checks). */
  readonly perUser?: AttemptPolicy
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

const minute = Duration.seconds(60)

/** The defaults. `RateLimitRules.layer({...})` replaces any of them in one place. */
export const defaultRules: ReadonlyArray<RateLimitRule> = [
  // Each request sends a mail and creates no session, so every one counts: few per address and per
  // recipient, so nobody can make the worker flood a mailbox.
  {
    name: "magic-link",
    paths: ["/api/auth/sign-in/magic-link"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  { name: "magic-link-verify", paths: ["/api/auth/magic-link/verify"], policy: { limit: 10, window: minute }, onFailure: "closed" },
  {
    name: "verification-email",
    paths: ["/api/auth/send-verification-email"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  // A registration or a sign-in is two requests (options, then verification).
  { name: "passkey", paths: ["/api/auth/passkey"], policy: { limit: 20, window: minute }, onFailure: "closed" },
  {
    name: "sign-in",
    // Every other sign-in method Better Auth routes here that names an `email` counts per account.
    paths: ["/api/auth/sign-in"],
    policy: { limit: 5, window: minute },
    perAccount: { limit: 5, window: minute, release: "signed-in" },
    onFailure: "closed"
  },
  { name: "sign-up", paths: ["/api/auth/sign-up"], policy: { limit: 3, window: minute }, onFailure: "closed" },
  {
    name: "password-reset-request",
    paths: ["/api/auth/request-password-reset", "/api/auth/forget-password"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  { name: "password-reset", paths: ["/api/auth/reset-password"], policy: { limit: 5, window: minute }, onFailure: "closed" },
  {
    name: "password-check",
    // Every route that checks the signed-in user's current password (or, for change-email, acts on
    // the account as if it had), core and plugins; a path of a plugin not installed never routes.
    paths: [
      "/api/auth/change-password",
      "/api/auth/verify-password",
      "/api/auth/change-email",
      "/api/auth/delete-user",
      "/api/auth/two-factor/enable",
      "/api/auth/two-factor/disable",
      "/api/auth/two-factor/get-totp-uri",
      "/api/auth/two-factor/generate-backup-codes"
    ],
    policy: { limit: 100, window: minute },
    perUser: { limit: 5, window: minute, release: "succeeded" },
    onFailure: "closed"
  },
  { name: "auth", paths: ["/api/auth"], policy: { limit: 100, window: minute }, onFailure: "open" }
]

export class RateLimitRules extends Context.Tag("edge-auth-state/RateLimitRules")<RateLimitRules, RateLimitSettings>() {
  static readonly defaults: RateLimitSettings = { rules: defaultRules, trustForwardedFor: false }
  static readonly layer = (settings: Partial<RateLimitSettings> = {}) =>
    Layer.succeed(RateLimitRules, { ...RateLimitRules.defaults, ...settings })
}

/** The first rule covering `endpoint` (normalised), if any. */
export const matchRule = (rules: ReadonlyArray<RateLimitRule>, endpoint: string): RateLimitRule | undefined =>
  rules.find((rule) => rule.paths.some((prefix) => endpoint === prefix || endpoint.startsWith(`${prefix}/`)))

/**
 * Every policy of `rules` (per address, per account, per user), with the name of the bucket it
 * counts: what a backend must be able to count, checked when the worker starts.
 */
export const rulePolicies = (rules: ReadonlyArray<RateLimitRule>) =>
  rules.flatMap((rule) => [
    { rule: rule.name, policy: rule.policy },
    ...(rule.perAccount === undefined ? [] : [{ rule: `${rule.name}-account`, policy: rule.perAccount }]),
    ...(rule.perUser === undefined ? [] : [{ rule: `${rule.name}-user`, policy: rule.perUser }])
  ])
