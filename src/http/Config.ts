/**
 * The worker's configuration, read from its `env` once per isolate: the variables and secrets
 * `wrangler.toml` lists (each with its default and meaning) and the bindings. A missing secret or
 * binding is reported by name, at start-up, instead of surfacing as a failure deep inside a request.
 *
 * @module
 */
import { Duration, Either, ParseResult, Redacted, Schema } from "effect"
import type { RateLimitBinding } from "../layers/RateLimiterBinding.js"
import { readObjectNamespace } from "../layers/ObjectNamespace.js"
import type { ObjectNamespace } from "../layers/ObjectNamespace.js"
import { RateLimitBackend } from "../services/RateLimiter.js"
import * as TrustedOrigins from "../services/TrustedOrigins.js"
import { readSessionRevocation } from "./SessionRevocationSetting.js"
import type { SessionRevocationChoice } from "./SessionRevocationSetting.js"

/** Which `Mailer` layer the composition root builds (`Given`: the one the worker was made with). */
export type MailerConfig =
  | { readonly _tag: "Given" }
  | { readonly _tag: "None" }
  | { readonly _tag: "Outbox" }
  | { readonly _tag: "Resend"; readonly from: string; readonly apiKey: Redacted.Redacted<string> }

/** The rate limiter's backend, with the bindings it counts with. */
export type RateLimiterChoice =
  | { readonly backend: "kv" }
  | { readonly backend: "durable-object"; readonly namespace: ObjectNamespace }
  | {
    readonly backend: "binding"
    /** Every `RATE_LIMIT_<limit>_PER_<period>S` binding in `env`, by name. */
    readonly bindings: ReadonlyMap<string, RateLimitBinding>
  }

export interface AppConfig {
  readonly kv: KVNamespace
  readonly db: D1Database
  readonly secret: Redacted.Redacted<string>
  readonly baseURL: string
  readonly sessionExpiresIn: Duration.Duration
  readonly sessionUpdateAge: Duration.Duration
  readonly exposeMetrics: boolean
  readonly mailer: MailerConfig
  /** The WebAuthn relying party id and the origins passkey ceremonies may come from. */
  readonly passkey: { readonly rpID: string; readonly origins: ReadonlyArray<string> }
  readonly emailVerification: "off" | "on-sign-up" | "required"
  readonly magicLinkSignUp: boolean
  /** The largest request body read, in bytes; default 64 KiB. */
  readonly maxBodyBytes?: number
  /** Default `{ backend: "kv" }`. */
  readonly rateLimiter?: RateLimiterChoice
  /** `SESSION_REVOCATION`; default `{ mode: "eventual" }`. */
  readonly sessionRevocation?: SessionRevocationChoice
  /** `TRUSTED_ORIGINS`, canonical (see `TrustedOrigins.parse`). */
  readonly trustedOrigins: ReadonlyArray<string>
}

const backendNames = RateLimitBackend.literals.map((name) => `"${name}"`).join(", ")

/** The rate limiter the environment chooses, or what is wrong with it. */
const readRateLimiter = (env: Readonly<Record<string, unknown>>, problems: Array<string>): RateLimiterChoice => {
  const backend = env.RATE_LIMIT_BACKEND ?? "kv"
  switch (backend) {
    case "kv":
      return { backend: "kv" }
    case "durable-object": {
      const needed = { binding: "RATE_LIMITER", className: "RateLimiterObject", setting: "RATE_LIMIT_BACKEND=durable-object" }
      const namespace = readObjectNamespace(env, needed, problems)
      return namespace === undefined ? { backend: "kv" } : { backend: "durable-object", namespace }
    }
    case "binding": {
      const bindings = new Map<string, RateLimitBinding>()
      for (const [name, value] of Object.entries(env)) {
        if (/^RATE_LIMIT_\d+_PER_\d+S$/.test(name) && hasMethods(value, "limit")) bindings.set(name, value as RateLimitBinding)
      }
      // Whether they are the ones the rules need is checked with the rules, when the worker is built.
      return { backend: "binding", bindings }
    }
    default:
      problems.push(`RATE_LIMIT_BACKEND must be one of ${backendNames} (got ${JSON.stringify(backend)})`)
      return { backend: "kv" }
  }
}

const isAbsoluteUrl = (s: string) => {
  try {
    new URL(s)
    return true
  } catch {
    return false
  }
}

const Seconds = Schema.NumberFromString.pipe(Schema.int(), Schema.positive())

/** A string that must be one of `values`, with one message naming them all. */
const oneOf = <const V extends ReadonlyArray<string>>(name: string, values: V) =>
  Schema.String.pipe(
    Schema.filter((s): s is V[number] => values.includes(s), {
      message: () => `${name} must be ${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`
    })
  )

const Variables = Schema.Struct({
  BETTER_AUTH_SECRET: Schema.propertySignature(
    Schema.String.pipe(
      Schema.minLength(32, { message: () => "BETTER_AUTH_SECRET must be set to at least 32 characters" })
    )
  ).annotations({ missingMessage: () => "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)" }),
  BETTER_AUTH_URL: Schema.propertySignature(
    Schema.String.pipe(Schema.filter(isAbsoluteUrl, { message: () => "BETTER_AUTH_URL must be an absolute URL" }))
  ).annotations({ missingMessage: () => "BETTER_AUTH_URL is not set" }),
  SESSION_EXPIRES_IN: Schema.optional(Seconds),
  SESSION_UPDATE_AGE: Schema.optional(Seconds),
  EMAIL_VERIFICATION: Schema.optionalWith(oneOf("EMAIL_VERIFICATION", ["off", "on-sign-up", "required"] as const), { exact: true }),
  MAGIC_LINK_SIGN_UP: Schema.optionalWith(oneOf("MAGIC_LINK_SIGN_UP", ["true", "false"] as const), { exact: true }),
  MAX_BODY_BYTES: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
})

const text = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined)

/**
 * The mailer the variables name, or the problems with them. The default is the production one, so
 * a deployment that forgot its mail settings is named at start-up rather than losing mail. The
 * outbox serves every mail (sign-in links among them) at `GET /dev/outbox`, so it is refused unless
 * the worker's own URL is a loopback address: a deployed worker never exposes it by accident; and
 * refused outright when reading for a deploy.
 */
const readMailer = (env: Readonly<Record<string, unknown>>, problems: Array<string>, deploy: boolean): MailerConfig | undefined => {
  const kind = text(env.MAILER) ?? "resend"
  if (kind === "outbox" && deploy) {
    problems.push("MAILER=outbox serves every mail at /dev/outbox, for local development only: set MAILER in [vars] to resend (or none for no mail)")
    return undefined
  }
  if (kind === "outbox") {
    // An invalid BETTER_AUTH_URL is named on its own; only a valid, non-loopback one is refused here.
    if (typeof env.BETTER_AUTH_URL === "string" && isAbsoluteUrl(env.BETTER_AUTH_URL) && !TrustedOrigins.isLoopback(env.BETTER_AUTH_URL)) {
      problems.push("MAILER=outbox serves every mail at /dev/outbox: only for local development (a localhost BETTER_AUTH_URL)")
      return undefined
    }
    return { _tag: "Outbox" }
  }
  if (kind === "none") {
    // Verification needs mail: with mail off, an address could never be confirmed.
    if (text(env.EMAIL_VERIFICATION) !== undefined && text(env.EMAIL_VERIFICATION) !== "off") {
      problems.push("MAILER=none sends no mail, so EMAIL_VERIFICATION must be off (no address could be confirmed)")
      return undefined
    }
    return { _tag: "None" }
  }
  if (kind !== "resend") {
    problems.push(`MAILER must be resend, outbox or none (got ${JSON.stringify(kind)})`)
    return undefined
  }
  const from = text(env.MAIL_FROM)
  const apiKey = text(env.RESEND_API_KEY)
  if (from === undefined) {
    problems.push(deploy
      ? "MAIL_FROM is not set: set it in [vars] to the sender of sign-in mail, e.g. \"Example <auth@example.com>\" on a domain verified with Resend (or MAILER=none for no mail)"
      : "MAIL_FROM is not set (the sender of sign-in mail, e.g. \"Example <auth@example.com>\"; MAILER=outbox for local development, MAILER=none for no mail)")
  }
  if (apiKey === undefined) problems.push("RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)")
  return from === undefined || apiKey === undefined ? undefined : { _tag: "Resend", from, apiKey: Redacted.make(apiKey) }
}

/** The relying party id and origins passkeys are bound to, or the problems with them. */
const readPasskey = (env: Readonly<Record<string, unknown>>, baseURL: string, problems: Array<string>) => {
  const origins: Array<string> = []
  for (const entry of (text(env.PASSKEY_ORIGIN) ?? baseURL).split(",").map((s) => s.trim()).filter(Boolean)) {
    try {
      origins.push(new URL(entry).origin)
    } catch {
      problems.push(`PASSKEY_ORIGIN: ${JSON.stringify(entry)} is not an absolute URL`)
    }
  }
  const rpID = (text(env.PASSKEY_RP_ID) ?? new URL(baseURL).hostname).toLowerCase()
  // WebAuthn only accepts an id that is each origin's host or a parent domain of it.
  for (const origin of origins) {
    const host = new URL(origin).hostname
    if (host !== rpID && !host.endsWith(`.${rpID}`)) {
      problems.push(`PASSKEY_RP_ID ${rpID} is neither the host of ${origin} nor a parent domain of it`)
    }
  }
  return { rpID, origins }
}

const hasMethods = (value: unknown, ...methods: ReadonlyArray<string>) =>
  typeof value === "object" && value !== null &&
  methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function")

/** What the code a worker is made with settles, which `env` then need not. */
export interface ReadOptions {
  /** The worker was made with its own mailer: `MAILER` and its settings are not read. */
  readonly mailerGiven?: boolean
  /** Origins trusted besides `TRUSTED_ORIGINS`, checked as its entries are. */
  readonly trustedOrigins?: ReadonlyArray<string>
  /**
   * Read the configuration a deploy would ship (the deploy check, `scripts/DeployCheck.ts`):
   * `BETTER_AUTH_URL` must also be a public https URL, and the outbox is refused whatever the URL.
   */
  readonly deploy?: boolean
}

/** The secrets the worker reads (`wrangler secret put NAME`; never in `[vars]`). */
export const secretNames = ["BETTER_AUTH_SECRET", "RESEND_API_KEY"] as const

/** Why `url` (an absolute URL) cannot be a deployed worker's own: it is loopback, or not https. */
const publicUrlProblem = (url: string): string | undefined =>
  TrustedOrigins.isLoopback(url)
    ? `BETTER_AUTH_URL is ${url}, a loopback address: set it in [vars] to the worker's public https URL, e.g. https://auth.example.com`
    : new URL(url).protocol !== "https:"
    ? `BETTER_AUTH_URL is ${url}, not https: set it in [vars] to the worker's public https URL, e.g. https://auth.example.com`
    : undefined

/** The configuration, or every problem with it, each in one line. */
export const readConfig = (bindings: object, options: ReadOptions = {}): Either.Either<AppConfig, ReadonlyArray<string>> => {
  const env = bindings as Readonly<Record<string, unknown>>
  const problems: Array<string> = []
  if (!hasMethods(env.KV, "get", "put", "delete", "list")) problems.push("KV namespace binding `KV` is missing")
  if (!hasMethods(env.DB, "prepare", "batch")) problems.push("D1 database binding `DB` is missing")
  // An unset variable may arrive as a key holding `undefined`: the same as a missing one.
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined))
  const variables = Schema.decodeUnknownEither(Variables, { errors: "all" })(defined)
  if (Either.isLeft(variables)) {
    for (const issue of ParseResult.ArrayFormatter.formatErrorSync(variables.left)) problems.push(issue.message)
  }
  // Beside the other problems, so a deploy check names them all at once; a URL that is not one is named above.
  const url = env.BETTER_AUTH_URL
  if (options.deploy === true && typeof url === "string" && isAbsoluteUrl(url)) {
    const problem = publicUrlProblem(url)
    if (problem !== undefined) problems.push(problem)
  }
  const mailer = options.mailerGiven === true ? ({ _tag: "Given" } as const) : readMailer(env, problems, options.deploy === true)
  const rateLimiter = readRateLimiter(env, problems)
  const sessionRevocation = readSessionRevocation(env, problems)
  const trusted = env.TRUSTED_ORIGINS === undefined || typeof env.TRUSTED_ORIGINS === "string"
    ? TrustedOrigins.parse([env.TRUSTED_ORIGINS ?? "", ...(options.trustedOrigins ?? [])].join(","))
    : { origins: [], problems: ["TRUSTED_ORIGINS must be a string of comma-separated origins"] }
  problems.push(...trusted.problems)
  if (problems.length > 0 || Either.isLeft(variables) || mailer === undefined) return Either.left(problems)
  const v = variables.right
  const passkey = readPasskey(env, v.BETTER_AUTH_URL, problems)
  if (problems.length > 0) return Either.left(problems)
  return Either.right({
    kv: env.KV as KVNamespace,
    db: env.DB as D1Database,
    secret: Redacted.make(v.BETTER_AUTH_SECRET),
    baseURL: v.BETTER_AUTH_URL,
    sessionExpiresIn: Duration.seconds(v.SESSION_EXPIRES_IN ?? 7 * 24 * 3600),
    sessionUpdateAge: Duration.seconds(v.SESSION_UPDATE_AGE ?? 24 * 3600),
    exposeMetrics: env.METRICS_ENABLED === "true",
    mailer,
    passkey,
    emailVerification: v.EMAIL_VERIFICATION ?? "off",
    magicLinkSignUp: v.MAGIC_LINK_SIGN_UP !== "false",
    ...(v.MAX_BODY_BYTES === undefined ? {} : { maxBodyBytes: v.MAX_BODY_BYTES }),
    rateLimiter,
    sessionRevocation,
    trustedOrigins: trusted.origins
  })
}
