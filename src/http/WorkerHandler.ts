/**
 * A worker from options and the Better Auth it loads: `Worker.make` (what a project's entry file
 * exports) with its default library filled in, and this repository's worker (`main.ts`), which
 * loads a module of its own and must not bundle the default beside it. The Effect runtime is built once per isolate, on
 * the first request, from the configuration in `env` (`Config.readConfig`) and the options, and
 * shared by every request after it. A configuration that cannot work (a missing secret, a binding
 * the rules need) is named at once and every request is answered 503 with the problems.
 *
 * workerd hands each request its own `env` object, but the bindings in it are usable from any
 * request, so the runtime is kept per configuration: `env`'s variables by value, its bindings by
 * kind.
 *
 * @module
 */
import { Either } from "effect"
import type { Layer } from "effect"
import type { Mailer } from "../services/Mailer.js"
import type * as Action from "./Action.js"
import { makeWebHandler } from "./App.js"
import type { BetterAuthOptions } from "./App.js"
import { readConfig } from "./Config.js"
import { requestIdOf } from "./middleware/RequestLog.js"
import { withRules } from "./ratelimit/Rules.js"
import type { RateLimitRule } from "./ratelimit/Rules.js"

/** What a project chooses in code; everything else is configuration in `env` (`wrangler.toml`). */
export interface WorkerOptions<Actions extends ReadonlyArray<Action.Any>, E extends object = Record<string, unknown>> {
  /** The custom actions, served in the protected `actions` group (`Action.make`). */
  readonly actions?: Actions
  /**
   * Rate-limit rules merged into the defaults rule by rule (`Rules.withRules`: one named as a
   * default replaces it; any other is checked first), and whether `X-Forwarded-For` is trusted.
   */
  readonly rateLimits?: { readonly rules?: ReadonlyArray<RateLimitRule>; readonly trustForwardedFor?: boolean }
  /**
   * The mailer, instead of the one `MAILER` names: a `Mailer` layer, or one made from the worker's
   * `env` (its secrets and variables), e.g. `(env) => MyMailer.layer(env.MAIL_API_KEY)`.
   */
  readonly mailer?: Layer.Layer<Mailer> | ((env: E) => Layer.Layer<Mailer>)
  /** Origins trusted besides `BETTER_AUTH_URL` and `TRUSTED_ORIGINS`, e.g. your app's. */
  readonly trustedOrigins?: ReadonlyArray<string>
  /**
   * Better Auth: how it is loaded (`Worker.make`'s default `CoreLibrary.load`; `Passkeys.load` for
   * passkeys; `OpenApiPlugin.withOpenApi(load)` to list its routes in `/openapi.json`), its app
   * name, more plugins.
   */
  readonly betterAuth?: Partial<BetterAuthOptions>
  /** Spans around service calls, for a tracer you install (see `Tracing`). */
  readonly tracing?: boolean
}

type Handler = (request: Request, ctx: ExecutionContext) => Promise<Response>

const misconfigured = (problems: ReadonlyArray<string>): Handler => {
  console.error(JSON.stringify({ level: "ERROR", message: "worker misconfigured", problems }))
  return async (request) =>
    Response.json(
      { error: "Service misconfigured", problems },
      { status: 503, headers: { "x-request-id": requestIdOf(request.headers.get("cf-ray") ?? undefined) } }
    )
}

/** Whether two `env`s configure alike: equal variables, bindings of the same kinds. */
const configureAlike = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean => {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) {
    const x = a[key]
    const y = b[key]
    if (typeof x === "string" || typeof y === "string" ? x !== y : typeof x !== typeof y) return false
  }
  return true
}

/** The fetch handler of a worker made with `options`, which name the Better Auth library to load. */
export const make = <const Actions extends ReadonlyArray<Action.Any>, E extends object = Record<string, unknown>>(
  options: WorkerOptions<Actions, E> & { readonly betterAuth: BetterAuthOptions }
) => {
  const built: Array<{ readonly env: Readonly<Record<string, unknown>>; readonly handler: Handler }> = []
  const handlerFor = (env: object): Handler => {
    const entries = env as Readonly<Record<string, unknown>>
    // Every request of a deployed worker carries the same configuration: the last one built answers.
    const last = built[built.length - 1]
    if (last !== undefined && (last.env === entries || configureAlike(last.env, entries))) return last.handler
    const known = built.find((b) => configureAlike(b.env, entries))
    if (known !== undefined) return known.handler
    const read = readConfig(entries, {
      mailerGiven: options.mailer !== undefined,
      ...(options.trustedOrigins === undefined ? {} : { trustedOrigins: options.trustedOrigins })
    })
    const handler = Either.match(read, {
      onLeft: misconfigured,
      onRight: (config) => {
        try {
          return makeWebHandler({
            ...config,
            ...(options.actions === undefined ? {} : { actions: options.actions }),
            rateLimits: {
              rules: withRules(options.rateLimits?.rules ?? []),
              trustForwardedFor: options.rateLimits?.trustForwardedFor ?? false
            },
            ...(options.mailer === undefined
              ? {}
              : { mailerLayer: typeof options.mailer === "function" ? options.mailer(env as E) : options.mailer }),
            betterAuth: options.betterAuth,
            ...(options.tracing === undefined ? {} : { tracing: options.tracing })
          }).handler
        } catch (error) {
          return misconfigured(String(error instanceof Error ? error.message : error).split("\n"))
        }
      }
    })
    built.push({ env: entries, handler })
    return handler
  }
  return {
    /** The worker's `fetch`: `env` is the project's (its `wrangler.toml`), read by `Config.readConfig`. */
    fetch(request: Request, env: E, ctx: ExecutionContext): Promise<Response> {
      return handlerFor(env)(request, ctx)
    }
  }
}
