/**
 * The worker's configuration, read from its `env` once per isolate. A missing secret or binding is
 * reported by name, at start-up, instead of surfacing as a failure deep inside a request.
 *
 * @module
 */
import { Duration, Either, ParseResult, Redacted, Schema } from "effect"
import * as RateLimiterBinding from "../layers/RateLimiterBinding.js"
import type { RateLimitBinding } from "../layers/RateLimiterBinding.js"
import { RateLimitBackend } from "../services/RateLimiter.js"
import { defaultRules } from "./RateLimit.js"
import type { RateLimitRule } from "./RateLimit.js"

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
  /** What rate limits count with: "kv" (default), "durable-object" or "binding". */
  readonly RATE_LIMIT_BACKEND?: string
  /** The rate limiter's Durable Object namespace (`RateLimiterObject`), for "durable-object". */
  readonly RATE_LIMITER?: DurableObjectNamespace
}

/** The rate limiter's backend, with the bindings it counts with. */
export type RateLimiterChoice =
  | { readonly backend: "kv" }
  | { readonly backend: "durable-object"; readonly namespace: DurableObjectNamespace }
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
  /** Default `{ backend: "kv" }`. */
  readonly rateLimiter?: RateLimiterChoice
}

/** Every policy of `rules`, with the name of the bucket it counts (for messages). */
export const rulePolicies = (rules: ReadonlyArray<RateLimitRule>) =>
  rules.flatMap((rule) => [
    { rule: rule.name, policy: rule.policy },
    ...(rule.perAccount === undefined ? [] : [{ rule: `${rule.name}-account`, policy: rule.perAccount }])
  ])

const backendNames = RateLimitBackend.literals.map((name) => `"${name}"`).join(", ")

/** The rate limiter the environment chooses, or what is wrong with it. */
const readRateLimiter = (env: Readonly<Record<string, unknown>>, problems: Array<string>): RateLimiterChoice => {
  const backend = env.RATE_LIMIT_BACKEND ?? "kv"
  switch (backend) {
    case "kv":
      return { backend: "kv" }
    case "durable-object": {
      const namespace = env.RATE_LIMITER
      if (!hasMethods(namespace, "idFromName", "get")) {
        problems.push(
          "Durable Object binding `RATE_LIMITER` is missing (RATE_LIMIT_BACKEND=durable-object): declare it in wrangler.toml with class_name = \"RateLimiterObject\" and its new_sqlite_classes migration"
        )
      }
      return { backend: "durable-object", namespace: namespace as DurableObjectNamespace }
    }
    case "binding": {
      const bindings = new Map<string, RateLimitBinding>()
      for (const [name, value] of Object.entries(env)) {
        if (/^RATE_LIMIT_\d+_PER_\d+S$/.test(name) && hasMethods(value, "limit")) bindings.set(name, value as RateLimitBinding)
      }
      const planned = RateLimiterBinding.plan(rulePolicies(defaultRules), Object.fromEntries(bindings))
      if (Either.isLeft(planned)) problems.push(...planned.left)
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
  const rateLimiter = readRateLimiter(env as Readonly<Record<string, unknown>>, problems)
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
    rateLimiter
  })
}
