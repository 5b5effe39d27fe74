/**
 * The Worker entry. The Effect runtime is built once per isolate, on the first request, and
 * shared by every request after it. workerd hands each request its own `env` object, but the
 * bindings in it are usable from any request, so the runtime is keyed by the configuration's
 * values, not by the object's identity.
 *
 * @module
 */
import { Either } from "effect"
import { makeWebHandler } from "./App.js"
import { readConfig } from "./Config.js"
import { requestIdOf } from "./Observability.js"
import type { Env } from "./Config.js"

export type { Env } from "./Config.js"
/** The rate limiter's Durable Object (`RATE_LIMIT_BACKEND=durable-object`), declared in wrangler.toml. */
export { RateLimiterObject } from "../layers/RateLimiterDurableObject.js"
/** The session revocations' Durable Object (`SESSION_REVOCATION=immediate`), declared in wrangler.toml. */
export { SessionRevocationsObject } from "../layers/SessionRevocationsDurableObject.js"

type Handler = (request: Request, ctx?: ExecutionContext) => Promise<Response>

const handlers = new Map<string, Handler>()

const misconfigured = (problems: ReadonlyArray<string>): Handler => {
  console.error(JSON.stringify({ level: "ERROR", message: "worker misconfigured", problems }))
  return async (request) =>
    Response.json(
      { error: "Service misconfigured", problems },
      { status: 503, headers: { "x-request-id": requestIdOf({ "cf-ray": request.headers.get("cf-ray") ?? undefined }) } }
    )
}

/**
 * Every value the handler is built from: two requests whose values are all equal share a handler.
 * One list for both the comparison and the key, so neither can miss a value the other has.
 */
const configuration: ReadonlyArray<(env: Env) => unknown> = [
  (env) => env.BETTER_AUTH_SECRET,
  (env) => env.BETTER_AUTH_URL,
  (env) => env.SESSION_EXPIRES_IN,
  (env) => env.SESSION_UPDATE_AGE,
  (env) => env.METRICS_ENABLED,
  (env) => env.TRUSTED_ORIGINS,
  (env) => env.MAX_BODY_BYTES,
  (env) => typeof env.KV,
  (env) => typeof env.DB,
  (env) => env.MAILER,
  (env) => env.MAIL_FROM,
  (env) => env.RESEND_API_KEY,
  (env) => env.PASSKEY_RP_ID,
  (env) => env.PASSKEY_ORIGIN,
  (env) => env.EMAIL_VERIFICATION,
  (env) => env.MAGIC_LINK_SIGN_UP,
  (env) => env.RATE_LIMIT_BACKEND,
  (env) => typeof env.RATE_LIMITER
]

const fingerprint = (env: Env) => configuration.map((value) => String(value(env))).join("\u0000")

/**
 * The last configuration seen and its handler. Every request of a deployed worker carries the same
 * values, so this answers them all, comparing values one by one: the profile of `/health` under
 * load showed the fingerprint string built and hashed on every request.
 */
let last: { readonly env: Env; readonly values: ReadonlyArray<unknown>; readonly handler: Handler } | undefined

const sameAsLast = (env: Env): boolean => {
  if (last === undefined) return false
  // The same object: its values were compared when it was first seen (bindings and vars do not
  // change within an isolate), and reading them again is what the profile saw here.
  if (last.env === env) return true
  for (let i = 0; i < configuration.length; i++) if (last.values[i] !== configuration[i]!(env)) return false
  return true
}

const handlerFor = (env: Env): Handler => {
  if (sameAsLast(env)) return last!.handler
  const key = fingerprint(env)
  let handler = handlers.get(key)
  if (handler === undefined) {
    handler = Either.match(readConfig(env), {
      onLeft: misconfigured,
      onRight: (config) => makeWebHandler(config).handler
    })
    handlers.set(key, handler)
  }
  last = { env, values: configuration.map((value) => value(env)), handler }
  return handler
}

export default {
  fetch(request, env, ctx) {
    return handlerFor(env)(request, ctx)
  }
} satisfies ExportedHandler<Env>
