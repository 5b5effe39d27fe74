/**
 * The authentication provider: Better Auth behind a small interface, so the HTTP layer never
 * depends on how sign-up, sign-in and sign-out are implemented.
 *
 * @module
 */
import { Context, Effect, Option, Schema } from "effect"
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

export class Auth extends Context.Tag("edge-auth-state/Auth")<Auth, AuthService>() {}
