/**
 * What the auth provider asks before it runs an endpoint: may this attempt go ahead?
 *
 * The auth provider calls it once it has routed a request to one of its endpoints and parsed the
 * body, and before the endpoint runs. So only requests to real endpoints are judged, and what is
 * judged is exactly what the endpoint will see, whatever the encoding the client chose.
 *
 * @module
 */
import { Context, Effect } from "effect"
import type { Option } from "effect"

/** The signed-in user an attempt is made for. */
export interface AttemptUser {
  readonly id: string
  readonly email: string
}

export interface Attempt {
  /** The endpoint's path under the auth base path, as routed, e.g. `/sign-in/email`. */
  readonly endpoint: string
  /** The body as the auth provider parsed it. */
  readonly body: unknown
  /**
   * Whether the endpoint will take the input: `false` for a request it refuses before checking
   * anything (a missing field, a value of the wrong type or length), which is no attempt.
   */
  readonly valid: boolean
  /** The request's headers (the client address among them). */
  readonly headers: Headers
  /**
   * The signed-in user the endpoint will act for, resolved as the auth provider resolves it for
   * this request however the session is carried (a Bearer token, a cookie, both). Reading it may
   * read the session store, so it is read only when a rule needs it.
   */
  readonly user: Effect.Effect<Option.Option<AttemptUser>>
}

export type AttemptVerdict =
  /** Answer this instead of running the endpoint. */
  | { readonly _tag: "Refused"; readonly response: Response }
  /** Go ahead; add `headers` to the answer. */
  | { readonly _tag: "Admitted"; readonly headers: Record<string, string> }

export interface AttemptGuardService {
  /** Whether the guard judges requests to `endpoint` at all (others never reach `check`). */
  readonly covers: (endpoint: string) => boolean
  readonly check: (attempt: Attempt) => Effect.Effect<AttemptVerdict>
}

export class AttemptGuard extends Context.Tag("edge-auth-state/AttemptGuard")<AttemptGuard, AttemptGuardService>() {}

/** Admits everything: the auth provider without a guard. */
export const admitAll: AttemptGuardService = {
  covers: () => false,
  check: () => Effect.succeed({ _tag: "Admitted", headers: {} })
}
