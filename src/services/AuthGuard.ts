/**
 * What the auth provider asks before it runs an endpoint: may this attempt go ahead?
 *
 * The auth provider calls it once it has routed a request to one of its endpoints and parsed the
 * body, and before the endpoint runs. So only requests to real endpoints are judged, and what is
 * judged is exactly what the endpoint will see, whatever the encoding the client chose.
 *
 * @module
 */
import { Context, Effect, Option } from "effect"

export interface AuthAttempt {
  /** The endpoint's path under the auth base path, as routed, e.g. `/sign-in/email`. */
  readonly endpoint: string
  /** The body as the auth provider parsed it. */
  readonly body: unknown
  /** The request's headers (the client address among them). */
  readonly headers: Headers
  /** The signed-in user the request is made for, if any (resolving it may read the session). */
  readonly userId: Effect.Effect<Option.Option<string>>
}

export type AuthVerdict =
  /** Answer this instead of running the endpoint. */
  | { readonly _tag: "Refused"; readonly response: Response }
  /**
   * Go ahead; add `headers` to the answer, and tell `settle` how the endpoint ended (it gives back
   * the places this attempt reserved, where a rule says so).
   */
  | { readonly _tag: "Admitted"; readonly headers: Record<string, string>; readonly settle: (outcome: AuthOutcome) => Effect.Effect<void> }

/** How an admitted attempt ended. */
export interface AuthOutcome {
  /** The endpoint answered without an error. */
  readonly succeeded: boolean
  /** It created a session: a sign-in that went through. */
  readonly signedIn: boolean
}

export interface AuthGuardService {
  /** Whether the guard judges requests to `endpoint` at all (others never reach `check`). */
  readonly covers: (endpoint: string) => boolean
  readonly check: (attempt: AuthAttempt) => Effect.Effect<AuthVerdict>
}

export class AuthGuard extends Context.Tag("edge-auth-state/AuthGuard")<AuthGuard, AuthGuardService>() {}

/** Admits everything: the auth provider without a guard. */
export const admitAll: AuthGuardService = {
  covers: () => false,
  check: () => Effect.succeed({ _tag: "Admitted", headers: {}, settle: () => Effect.void })
}
