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

const fingerprint = (env: Env) =>
  `${env.BETTER_AUTH_SECRET}\u0000${env.BETTER_AUTH_URL}\u0000${env.SESSION_EXPIRES_IN}\u0000${env.SESSION_UPDATE_AGE}\u0000${env.METRICS_ENABLED}\u0000${typeof env.KV}\u0000${typeof env.DB}`

/** What the fingerprint is made of, compared one by one: no string built per request. */
const fingerprintParts = (env: Env): ReadonlyArray<unknown> => [
  env.BETTER_AUTH_SECRET,
  env.BETTER_AUTH_URL,
  env.SESSION_EXPIRES_IN,
  env.SESSION_UPDATE_AGE,
  env.METRICS_ENABLED,
  typeof env.KV,
  typeof env.DB
]

/**
 * The last configuration seen and its handler. Every request of a deployed worker carries the same
 * values, so this answers them all; the profile of `/health` under load showed building and hashing
 * the fingerprint string on every request.
 */
let last: { readonly parts: ReadonlyArray<unknown>; readonly handler: Handler } | undefined

const sameAsLast = (env: Env): boolean => {
  if (last === undefined) return false
  const parts = last.parts
  return parts[0] === env.BETTER_AUTH_SECRET && parts[1] === env.BETTER_AUTH_URL &&
    parts[2] === env.SESSION_EXPIRES_IN && parts[3] === env.SESSION_UPDATE_AGE && parts[4] === env.METRICS_ENABLED &&
    parts[5] === typeof env.KV && parts[6] === typeof env.DB
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
  last = { parts: fingerprintParts(env), handler }
  return handler
}

export default {
  fetch(request, env, ctx) {
    return handlerFor(env)(request, ctx)
  }
} satisfies ExportedHandler<Env>
