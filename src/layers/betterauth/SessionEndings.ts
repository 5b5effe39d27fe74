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
 *   `onPasswordReset`) and an account claim (`AccountClaims`) ask for it themselves. A revoke-all
 *   also refuses a session signed in while those rows were being deleted, which no row names.
 *
 * A password change with `revokeOtherSessions` deletes every row and signs the user in again in the
 * same request: each old row is revoked on its own, and no revoke-all could refuse the new session.
 *
 * The KV copy of each deleted row is ended by `Options`' `delete.after` hook, in both modes.
 *
 * @module
 */
import type { BetterAuthPlugin } from "better-auth"
import type { Library } from "./Library.js"

/** What a session row tells its revocation. */
export interface EndingRow {
  readonly id: string
  readonly userId: string
  readonly expiresAt: Date
}

/** How the endings reach the session store (`BetterAuth`'s ports). */
export interface SessionEndingPorts {
  /** Records one session's revocation; rejects if it cannot be recorded. */
  readonly sessionEnding: (row: EndingRow) => Promise<void>
  /**
   * Records that every session of the user created up to now has ended; rejects if it cannot be
   * recorded. Resolves once the clock has passed the time recorded, so a session the same request
   * creates next (an account claim signs its owner in) is not revoked with the others.
   */
  readonly userSessionsEnded: (userId: string) => Promise<void>
}

export const sessionEndings = (
  { createAuthMiddleware, isAPIError }: Pick<Library, "createAuthMiddleware" | "isAPIError">,
  ports: SessionEndingPorts
) =>
  ({
    id: "edge-auth-state-session-endings",
    init: () => ({
      options: {
        databaseHooks: {
          session: { delete: { before: async (row: EndingRow) => ports.sessionEnding(row) } },
          user: { delete: { after: async (user: { readonly id: string }) => ports.userSessionsEnded(user.id) } }
        }
      }
    }),
    hooks: {
      after: [{
        matcher: (context) => context.path === "/revoke-sessions",
        handler: createAuthMiddleware(async (ctx) => {
          // The signed-in user whose sessions the endpoint ended; nothing if it refused the request.
          const session = ctx.context.session as { readonly user: { readonly id: string } } | null | undefined
          if (session == null || isAPIError(ctx.context.returned)) return
          await ports.userSessionsEnded(session.user.id)
        })
      }]
    }
  }) satisfies BetterAuthPlugin
