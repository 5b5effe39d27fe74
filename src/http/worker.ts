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
  `${env.BETTER_AUTH_SECRET}\u0000${env.BETTER_AUTH_URL}\u0000${env.SESSION_EXPIRES_IN}\u0000${env.SESSION_UPDATE_AGE}\u0000${env.METRICS_ENABLED}\u0000${env.TRUSTED_ORIGINS}\u0000${env.MAX_BODY_BYTES}\u0000${typeof env.KV}\u0000${typeof env.DB}` +
  `\u0000${env.MAILER}\u0000${env.MAIL_FROM}\u0000${env.RESEND_API_KEY}\u0000${env.PASSKEY_RP_ID}\u0000${env.PASSKEY_ORIGIN}\u0000${env.EMAIL_VERIFICATION}\u0000${env.MAGIC_LINK_SIGN_UP}` +
  `\u0000${env.RATE_LIMIT_BACKEND}\u0000${typeof env.RATE_LIMITER}`

const handlerFor = (env: Env): Handler => {
  const key = fingerprint(env)
  const existing = handlers.get(key)
  if (existing) return existing
  const handler = Either.match(readConfig(env), {
    onLeft: misconfigured,
    onRight: (config) => makeWebHandler(config).handler
  })
  handlers.set(key, handler)
  return handler
}

export default {
  fetch(request, env, ctx) {
    return handlerFor(env)(request, ctx)
  }
} satisfies ExportedHandler<Env>
