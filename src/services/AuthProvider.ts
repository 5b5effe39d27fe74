/**
 * The authentication provider: Better Auth behind a small interface, so the HTTP layer never
 * depends on how sign-up, sign-in and sign-out are implemented.
 *
 * @module
 */
import { Context, Option, Schema } from "effect"
import type { Effect } from "effect"

/** The auth provider could not answer: its storage or database is unavailable. */
export class AuthUnavailable extends Schema.TaggedError<AuthUnavailable>()("AuthUnavailable", {
  message: Schema.String
}) {}

export interface AuthProviderService {
  /** Answers a request under the auth base path (`/api/auth/*`). */
  readonly handle: (request: Request) => Effect.Effect<Response, AuthUnavailable>
  /**
   * The session token a Bearer credential carries: either the raw token from the sign-in response
   * or the signed value of the `set-auth-token` header (`<token>.<signature>`), whose signature is
   * checked. `None` if the credential is malformed or its signature is wrong.
   */
  readonly sessionToken: (credential: string) => Effect.Effect<Option.Option<string>>
  /** The provider offers passkeys (its passkey routes exist). Default false. */
  readonly passkeys?: boolean
  /**
   * The provider's routes in OpenAPI 3.1, for the API's document (`GET /openapi.json`): those it
   * serves as configured, each operation naming `bearerScheme` (the document's Bearer scheme) as its
   * security. It may load the provider; the caller keeps the answer, which is the same for an
   * isolate's life. A provider without it is left out of the document.
   */
  readonly openApi?: (bearerScheme: string) => Effect.Effect<AuthOpenApi, AuthUnavailable>
}

/** The auth provider's part of the API's OpenAPI document (`AuthProviderService.openApi`). */
export interface AuthOpenApi {
  /** Path items (OpenAPI 3.1) by full path, every one under `authBasePath`. */
  readonly paths: Readonly<Record<string, unknown>>
  /** The schemas they refer to (`#/components/schemas/<name>`), by name. */
  readonly schemas: Readonly<Record<string, unknown>>
  /** The tags their operations carry, each with what it covers. */
  readonly tags: ReadonlyArray<{ readonly name: string; readonly description: string }>
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

export class AuthProvider extends Context.Tag("edge-auth-state/AuthProvider")<AuthProvider, AuthProviderService>() {}

/** Where the provider's routes live: every path under it is the provider's (`/api/auth/*`). */
export const authBasePath = "/api/auth"
