/**
 * Claiming an address ends every credential planted on it before the claim.
 *
 * Anyone can sign up an address they do not own and, until its owner proves it, attach what they
 * like to the account: a password, sessions, a passkey (the "pre-hijacked account"). The owner
 * proves the address by following a link mailed to it: a magic link, the verification link or a
 * password reset. At that moment every credential from before the proof is ended:
 *
 * - Better Auth's own behaviour, kept: a magic link for an unverified account deletes its accounts
 *   (the password among them) and sessions before it signs the owner in
 *   (`revokeUnprovenAccountAccess`); a password reset replaces the password and, configured so
 *   (`revokeSessionsOnPasswordReset`), ends every session.
 * - What Better Auth leaves, fixed here: the passkey plugin's rows survive every claim, so a
 *   planted passkey would go on signing in as the owner on a now verified account; the
 *   verification link ends no session; and a password reset does not mark the address verified
 *   although it proves it as well as the others do. So when an update marks a user's address
 *   verified (every claim goes through one), this plugin deletes the user's passkeys and sessions
 *   before the claim signs the owner in; and a reset of an unverified account marks it verified.
 *   With `SESSION_REVOCATION=immediate` the claim first records that every session of the user
 *   created until then has ended (`SessionEndings`), so none is accepted anywhere after it.
 *
 * A verification link confirms the sign-up it was sent for, so the password chosen at that sign-up
 * stays; its mail tells anyone who did not sign up to ignore it (`Mails.verifyEmail`).
 *
 * @module
 */
import type { AuthContext, BetterAuthPlugin, User } from "better-auth"

export const accountClaims = (
  /** Records that every session of the user has ended (`SessionEndings`), before they are deleted. */
  userSessionsEnded?: (userId: string) => Promise<unknown>
) => {
  let context: AuthContext | undefined
  /** Endpoint contexts in which an update is marking an address verified. */
  const claiming = new WeakSet<object>()

  const plugin = {
    id: "edge-auth-state-account-claims",
    init: (ctx: AuthContext) => {
      context = ctx
      return {
        options: {
          databaseHooks: {
            user: {
              update: {
                before: async (data: Partial<User>, endpoint: object | null) => {
                  if (data.emailVerified === true && endpoint !== null) claiming.add(endpoint)
                },
                after: async (user: User, endpoint: { readonly context: AuthContext } | null) => {
                  if (endpoint === null || !claiming.has(endpoint) || !user.emailVerified) return
                  claiming.delete(endpoint)
                  await userSessionsEnded?.(user.id)
                  // Without the passkey plugin (a library built without it) there is no passkey table.
                  if ("passkey" in endpoint.context.tables) {
                    await endpoint.context.adapter.deleteMany({ model: "passkey", where: [{ field: "userId", value: user.id }] })
                  }
                  await endpoint.context.internalAdapter.deleteUserSessions(user.id)
                }
              }
            }
          }
        }
      }
    }
  } satisfies BetterAuthPlugin

  /** `emailAndPassword.onPasswordReset`: a reset proves the address; an unverified one becomes verified. */
  const onPasswordReset = async ({ user }: { readonly user: User }): Promise<void> => {
    if (user.emailVerified || context === undefined) return
    await context.internalAdapter.updateUser(user.id, { emailVerified: true })
  }

  return { plugin, onPasswordReset }
}
