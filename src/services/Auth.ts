/**
 * The authentication provider: Better Auth behind a small interface, so the HTTP layer never
 * depends on how sign-up, sign-in and sign-out are implemented.
 *
 * @module
 */
import { Context, Effect, Option, Schema } from "effect"
import type { Runtime } from "effect"
import { runPromise } from "./Isolated.js"
import { faceKind } from "./PlainFace.js"
import type { MailerError } from "./Mailer.js"

/** The auth provider could not answer: its storage or database is unavailable. */
export class AuthUnavailable extends Schema.TaggedError<AuthUnavailable>()("AuthUnavailable", {
  message: Schema.String
}) {}

export interface AuthService {
  /**
   * Answers a request under the auth base path (`/api/auth/*`). Fails with `MailerError` when the
   * request needed a mail (a magic link, a verification) that could not be sent.
   */
  readonly handle: (request: Request) => Effect.Effect<Response, AuthUnavailable | MailerError>
  /**
   * The session token a Bearer credential carries: either the raw token from the sign-in response
   * or the signed value of the `set-auth-token` header (`<token>.<signature>`), whose signature is
   * checked. `None` if the credential is malformed or its signature is wrong.
   */
  readonly sessionToken: (credential: string) => Effect.Effect<Option.Option<string>>
}

/**
 * The credential of an `Authorization` header with the Bearer scheme (case-insensitive, RFC 9110),
 * or `None` when the header is missing, uses another scheme, or is malformed.
 */
export const bearerCredential = (header: string | undefined): Option.Option<string> => {
  if (header === undefined) return Option.none()
  const match = /^[ \t]*bearer[ \t]+([A-Za-z0-9\-._~+/%]+=*)[ \t]*$/i.exec(header)
  return match ? Option.some(match[1]!) : Option.none()
}

export class Auth extends Context.Tag("edge-auth-state/Auth")<Auth, AuthService>() {}

/**
 * `handle` as a promise, run for the request whose runtime (its services and request id) is
 * `runtime()`, made only if needed (a mail's log lines); rejects with `AuthUnavailable` or
 * `MailerError`. See `PlainFace`.
 */
export type HandlePlain = (request: Request, runtime: () => Runtime.Runtime<never>) => Promise<Response>

/** The plain `handle` an `AuthService` may carry (Better Auth's does). */
export const plainHandle = faceKind<AuthService, HandlePlain>()

/** `auth`'s plain `handle`; for a service without one, its `handle` run on the request's runtime. */
export const handlePlainOf = (auth: AuthService): HandlePlain =>
  plainHandle.of(auth) ?? ((request, runtime) => runPromise(runtime(), auth.handle(request)))
