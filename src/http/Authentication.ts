/**
 * Authentication: reads `Authorization: Bearer <token>`, validates the session from the session
 * store, and provides `CurrentUser` and `CurrentSession` to the handler it wraps.
 *
 * @module
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Option } from "effect"
import { Auth } from "../services/Auth.js"
import { CurrentSession, CurrentUser } from "../services/CurrentUser.js"
import { SessionStore } from "../services/SessionStore.js"
import { ServiceUnavailable, Unauthorized } from "./Errors.js"
import { traced } from "../services/Tracing.js"

/**
 * The credential of an `Authorization` header with the Bearer scheme (case-insensitive, RFC 9110),
 * or `None` when the header is missing, uses another scheme, or is malformed.
 */
export const bearerCredential = (header: string | undefined): Option.Option<string> => {
  if (header === undefined) return Option.none()
  const match = /^[ \t]*bearer[ \t]+([A-Za-z0-9\-._~+/%]+=*)[ \t]*$/i.exec(header)
  return match ? Option.some(match[1]!) : Option.none()
}

const unauthorized = (error: string) => Effect.fail(new Unauthorized({ error }))

/** The session a request carries, refreshed if due, or a typed 401 / 503. */
export const authenticate = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const credential = bearerCredential(request.headers["authorization"])
  if (Option.isNone(credential)) {
    return yield* unauthorized(
      request.headers["authorization"] === undefined ? "Missing bearer token" : "Malformed authorization header"
    )
  }
  const auth = yield* Auth
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

/**
 * Runs `handler` for an authenticated request only, with `CurrentUser` and `CurrentSession`
 * provided. Fails with `Unauthorized` (401) or `ServiceUnavailable` (503).
 */
export const authenticated = <A, E, R>(handler: Effect.Effect<A, E, R>) =>
  Effect.flatMap(authenticate, ({ session, user }) =>
    handler.pipe(Effect.provideService(CurrentUser, user), Effect.provideService(CurrentSession, session)))
