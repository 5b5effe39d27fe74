/**
 * The worker's configuration, read from its `env` once per isolate. A missing secret or binding is
 * reported by name, at start-up, instead of surfacing as a failure deep inside a request.
 *
 * @module
 */
import { Duration, Either, ParseResult, Redacted, Schema } from "effect"
import * as TrustedOrigins from "../services/TrustedOrigins.js"

/** The bindings and variables `wrangler.toml` and `wrangler secret put` give the worker. */
export interface Env {
  readonly KV: KVNamespace
  readonly DB: D1Database
  /** At least 32 characters; `wrangler secret put BETTER_AUTH_SECRET` (or `.dev.vars` locally). */
  readonly BETTER_AUTH_SECRET: string
  /** The worker's public origin, e.g. `https://auth.example.com`. */
  readonly BETTER_AUTH_URL: string
  /** Session life in seconds (default 604800, 7 days). */
  readonly SESSION_EXPIRES_IN?: string
  /** Seconds after which a request extends a session (default 86400, 1 day). */
  readonly SESSION_UPDATE_AGE?: string
  /** "true" serves the counters at `GET /metrics` (for benchmarks; off by default). */
  readonly METRICS_ENABLED?: string
  /**
   * Comma-separated origins whose pages may call the API from a browser (Better Auth's trusted
   * origins and the CORS allow-list), e.g. `https://app.example.com,https://*.example.com`.
   */
  readonly TRUSTED_ORIGINS?: string
}

export interface AppConfig {
  readonly kv: KVNamespace
  readonly db: D1Database
  readonly secret: Redacted.Redacted<string>
  readonly baseURL: string
  readonly sessionExpiresIn: Duration.Duration
  readonly sessionUpdateAge: Duration.Duration
  readonly exposeMetrics: boolean
  /** `TRUSTED_ORIGINS`, canonical (see `TrustedOrigins.parse`). */
  readonly trustedOrigins: ReadonlyArray<string>
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
  SESSION_UPDATE_AGE: Schema.optional(Seconds)
})

const hasMethods = (value: unknown, ...methods: ReadonlyArray<string>) =>
  typeof value === "object" && value !== null &&
  methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function")

/** The configuration, or every problem with it, each in one line. */
export const readConfig = (env: Partial<Record<keyof Env, unknown>>): Either.Either<AppConfig, ReadonlyArray<string>> => {
  const problems: Array<string> = []
  if (!hasMethods(env.KV, "get", "put", "delete", "list")) problems.push("KV namespace binding `KV` is missing")
  if (!hasMethods(env.DB, "prepare", "batch")) problems.push("D1 database binding `DB` is missing")
  // An unset variable may arrive as a key holding `undefined`: the same as a missing one.
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined))
  const variables = Schema.decodeUnknownEither(Variables, { errors: "all" })(defined)
  if (Either.isLeft(variables)) {
    for (const issue of ParseResult.ArrayFormatter.formatErrorSync(variables.left)) problems.push(issue.message)
  }
  const trusted = env.TRUSTED_ORIGINS === undefined || typeof env.TRUSTED_ORIGINS === "string"
    ? TrustedOrigins.parse(env.TRUSTED_ORIGINS ?? "")
    : { origins: [], problems: ["TRUSTED_ORIGINS must be a string of comma-separated origins"] }
  problems.push(...trusted.problems)
  if (problems.length > 0 || Either.isLeft(variables)) return Either.left(problems)
  const v = variables.right
  return Either.right({
    kv: env.KV as KVNamespace,
    db: env.DB as D1Database,
    secret: Redacted.make(v.BETTER_AUTH_SECRET),
    baseURL: v.BETTER_AUTH_URL,
    sessionExpiresIn: Duration.seconds(v.SESSION_EXPIRES_IN ?? 7 * 24 * 3600),
    sessionUpdateAge: Duration.seconds(v.SESSION_UPDATE_AGE ?? 24 * 3600),
    exposeMetrics: env.METRICS_ENABLED === "true",
    trustedOrigins: trusted.origins
  })
}
