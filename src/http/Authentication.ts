/**
 * Authentication as platform middleware: a group that adds `Authentication` (`.middleware(...)`)
 * has every endpoint protected. The middleware reads `Authorization: Bearer <token>`, validates
 * the session from the session store, and provides `Authenticated` (hence `CurrentUser` and
 * `CurrentSession`) to the handler; the OpenAPI document lists the `bearer` HTTP scheme as required
 * for every such operation.
 *
 * It runs before the request's path, query and body are decoded, so a request without a valid
 * session is a 401 whatever its input.
 *
 * @module
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect, Layer, Option, Schema } from "effect"
import { AuthProvider, bearerCredential } from "../services/AuthProvider.js"
import { Authenticated } from "../services/CurrentUser.js"
import { SessionStore } from "../services/SessionStore.js"
import { traced } from "../services/Tracing.js"
import { ServiceUnavailable, Unauthorized } from "./ApiErrors.js"

export { bearerCredential } from "../services/AuthProvider.js"

const unauthorized = (error: string) => Effect.fail(new Unauthorized({ error }))

/** The session an `Authorization` header carries, refreshed if due, or a typed 401 / 503. */
export const authenticateAuthorization = (authorization: string | undefined) => Effect.gen(function*() {
  const credential = bearerCredential(authorization)
  if (Option.isNone(credential)) {
    return yield* unauthorized(authorization === undefined ? "Missing bearer token" : "Malformed authorization header")
  }
  const auth = yield* AuthProvider
  const token = yield* auth.sessionToken(credential.value)
  if (Option.isNone(token)) return yield* unauthorized("Invalid bearer token")

  // A refresh KV refuses to write still answers the session it read (SessionStore.refresh).
  const record = yield* Effect.flatMap(SessionStore, (sessions) => sessions.refresh(token.value))
  if (Option.isNone(record)) return yield* unauthorized("Invalid or expired session")
  return record.value
}).pipe(
  Effect.catchTag("SessionStoreError", (error) =>
    Effect.zipRight(
      Effect.logError("session store unavailable while authenticating", error.message),
      Effect.fail(new ServiceUnavailable({ error: "Session store unavailable" }))
    )),
  traced("authenticate")
)

/** The session the request carries, refreshed if due, or a typed 401 / 503. */
export const authenticate = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) => authenticateAuthorization(request.headers["authorization"])
)

/** The scheme the OpenAPI document declares: `Authorization: Bearer <token>`. */
export const bearer = HttpApiSecurity.bearer.pipe(
  HttpApiSecurity.annotate(
    OpenApi.Description,
    "The `token` from the sign-in or sign-up response, or the value of its `set-auth-token` header."
  )
)

/**
 * The authentication middleware. Add it to a group (`HttpApiGroup.make("mine").middleware(Authentication)`)
 * and every endpoint of the group answers 401 (no valid session) or 503 (session store down) before
 * its handler, or its input decoding, runs.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("edge-auth-state/Authentication", {
  failure: Schema.Union(Unauthorized, ServiceUnavailable),
  provides: Authenticated,
  security: { bearer }
}) {
  /**
   * The middleware over the session store and the auth provider. The platform hands the handler
   * the header with its first seven characters cut off whatever they were; the raw header is read
   * instead, so the scheme is matched case-insensitively and a malformed header is named as such.
   */
  static readonly layer = Layer.effect(
    Authentication,
    Effect.gen(function*() {
      const services = yield* Effect.context<AuthProvider | SessionStore>()
      const run = Effect.provide(authenticate, services)
      return Authentication.of({ bearer: () => run })
    })
  )
}
