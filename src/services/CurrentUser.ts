/**
 * Who is making the request. The authentication middleware validates the request's Bearer token
 * against the session store and provides `Authenticated` to every handler of a protected group;
 * `CurrentUser` and `CurrentSession` read it.
 *
 * @module
 */
import { Context, Effect } from "effect"
import type { Session, User } from "./SessionStore.js"

/** The request's user and the session it was authenticated with, its token included. */
export interface SignedIn {
  readonly user: User
  readonly session: Session
}

/**
 * The signed-in request. One service rather than two, because a platform middleware provides
 * exactly one: a handler that needs it can only run behind the authentication middleware, and
 * outside one the compiler says `Authenticated` is missing.
 */
export class Authenticated extends Context.Tag("edge-auth-state/Authenticated")<Authenticated, SignedIn>() {}

/** The signed-in user. */
export const CurrentUser: Effect.Effect<User, never, Authenticated> = Effect.map(Authenticated, (signedIn) => signedIn.user)

/** The session the request was authenticated with, its token included. */
export const CurrentSession: Effect.Effect<Session, never, Authenticated> = Effect.map(
  Authenticated,
  (signedIn) => signedIn.session
)
