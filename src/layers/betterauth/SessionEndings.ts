/**
 * Where Better Auth ends sessions, their revocations are recorded (`SESSION_REVOCATION=immediate`;
 * in `eventual` the same calls record nothing and do no I/O: the session store decides):
 *
 * - **each session row**, before Better Auth deletes it (sign-out, `revoke-session`,
 *   `revoke-other-sessions`, a password change that revokes the other sessions, and every row the
 *   operations below delete): the session's own revocation, kept until it would have expired. It is
 *   recorded before the row goes, so a revocation that cannot be recorded stops the deletion: the
 *   request fails and a retry still finds the session.
 * - **every session of a user**, where Better Auth ends them all: after `revoke-sessions` (sign out
 *   everywhere), here; after a user's row is deleted, here; a password reset (`Options`,
 *   `onPasswordReset`, through `endAll`) and an account claim (`AccountClaims`) ask for it
 *   themselves. A revoke-all also refuses a session signed in while those rows were being deleted,
 *   which no row names: every read of KV refuses it, and so that Better Auth, finding nothing in
 *   its storage, does not find it in D1 instead, its row goes too, whichever commits last: `endAll`
 *   deletes the user's rows created up to the revoke-all once it is recorded, and a session row
 *   created is deleted at once if the record already refuses it (`session.create.after`).
 *
 * A password change with `revokeOtherSessions` deletes every row and signs the user in again in the
 * same request: each old row is revoked on its own, and no revoke-all could refuse the new session.
 *
 * The KV copy of each deleted row is ended by `Options`' `delete.after` hook, in both modes.
 *
 * @module
 */
import type { AuthContext, BetterAuthPlugin } from "better-auth"
import type { CreatedSession, EndingSession } from "../../services/SessionStore.js"
import type { Library } from "./Library.js"

/** How the endings reach the session store (`BetterAuth`'s ports). */
export interface SessionEndingPorts {
  /** Records one session's revocation; rejects if it cannot be recorded. */
  readonly sessionEnding: (row: EndingSession) => Promise<void>
  /**
   * Records that every session of the user created up to now has ended; rejects if it cannot be
   * recorded. Resolves with the time recorded (`undefined` where nothing is recorded) once the
   * clock has passed it, so a session the same request creates next (an account claim signs its
   * owner in) is not revoked with the others.
   */
  readonly userSessionsEnded: (userId: string) => Promise<number | undefined>
  /** Whether the record refuses a session just created; `false` where nothing is recorded. */
  readonly isRecordedRevoked: (session: CreatedSession) => Promise<boolean>
}

/** A session row as Better Auth has just written it. */
type CreatedRow = CreatedSession & { readonly token: string }

/** The plugin that records the endings, and `endAll` for the callers that end every session themselves. */
export const sessionEndings = (
  { createAuthMiddleware, isAPIError }: Pick<Library, "createAuthMiddleware" | "isAPIError">,
  ports: SessionEndingPorts
) => {
  let context: AuthContext | undefined

  /** Every session of the user ends: recorded, then the rows of any created up to it deleted. */
  const endAll = async (userId: string): Promise<void> => {
    const at = await ports.userSessionsEnded(userId)
    if (at === undefined || context === undefined) return
    // Better Auth's own deletion saw every other row: what is left was written in the meantime.
    await context.adapter.deleteMany({
      model: "session",
      where: [{ field: "userId", value: userId }, { field: "createdAt", value: new Date(at), operator: "lte" }]
    })
  }

  const plugin = {
    id: "edge-auth-state-session-endings",
    init: (ctx: AuthContext) => {
      context = ctx
      return {
        options: {
          databaseHooks: {
            session: {
              create: {
                after: async (row: CreatedRow) => {
                  // Created in the millisecond of a revoke-all recorded since: ended at once.
                  if (await ports.isRecordedRevoked(row)) await ctx.internalAdapter.deleteSession(row.token)
                }
              },
              delete: { before: async (row: EndingSession) => ports.sessionEnding(row) }
            },
            user: { delete: { after: async (user: { readonly id: string }) => endAll(user.id) } }
          }
        }
      }
    },
    hooks: {
      after: [{
        matcher: (context: { readonly path?: string }) => context.path === "/revoke-sessions",
        handler: createAuthMiddleware(async (ctx) => {
          // The signed-in user whose sessions the endpoint ended; nothing if it refused the request.
          const session = ctx.context.session as { readonly user: { readonly id: string } } | null | undefined
          if (session == null || isAPIError(ctx.context.returned)) return
          await endAll(session.user.id)
        })
      }]
    }
  } satisfies BetterAuthPlugin
  return { plugin, endAll }
}
