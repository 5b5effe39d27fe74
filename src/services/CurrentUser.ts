/**
 * Who is making the request. The authentication middleware provides both services to every
 * handler that requires them, after it has validated the request's Bearer token against the
 * session store.
 *
 * @module
 */
import { Context } from "effect"
import type { Session, User } from "./SessionStore.js"

/** The signed-in user. */
export class CurrentUser extends Context.Tag("edge-auth-state/CurrentUser")<CurrentUser, User>() {}

/** The session the request was authenticated with, its token included. */
export class CurrentSession extends Context.Tag("edge-auth-state/CurrentSession")<CurrentSession, Session>() {}
