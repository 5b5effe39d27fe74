/**
 * The same database work on the answer's path whether or not an address has an account, where
 * Better Auth does more for one kind than for the other.
 *
 * Better Auth already answers alike in body and status, hashes a password for an unknown address
 * at sign-in and for a taken one at sign-up, and reads a dummy token for an unknown address's reset
 * request. Measured with `npm run bench:enumeration` (docs/security.md), two routes still took
 * longer for one kind:
 *
 * - **A reset request for a known address** stores the reset token (a D1 insert and its KV copy)
 *   where an unknown one reads a dummy token (a KV read and a D1 select). Each kind now also does
 *   the other's: a known address reads the same dummy token, an unknown one stores a token nobody
 *   is sent (it expires unused a minute later, KV's shortest life, and Better Auth's cleanup of
 *   expired rows removes it from D1).
 * - **A sign-up for a new address** writes the user and its account (two D1 inserts) where a taken
 *   one writes nothing. A taken address's sign-up now writes twice too: a row it deletes at once.
 *
 * Which kind a request was is read from what it wrote (the database hooks below, through Better
 * Auth's request state), and the other kind's work is done in an `after` hook, before the answer.
 * A request Better Auth refused (an invalid address, an untrusted redirect) gets none: it answers
 * alike for both kinds anyway. The mail a known address gets is sent after the answer
 * (`BackgroundTasks`), so it costs the answer nothing.
 *
 * @module
 */
import type { BetterAuthPlugin } from "better-auth"
import type { Library } from "./Library.js"

/** The identifier Better Auth's reset request reads for an unknown address (`requestPasswordReset`). */
export const dummyResetIdentifier = "dummy-verification-token"

/** A stored token nobody is sent lives as long as KV allows at least (seconds). */
const paddingLifetime = 60

/** 32 random characters, the length of Better Auth's user ids and reset tokens' values. */
const randomValue = () => crypto.randomUUID().replaceAll("-", "")

export const evenAnswers = (
  { createAuthMiddleware, defineRequestState, isAPIError }: Pick<Library, "createAuthMiddleware" | "defineRequestState" | "isAPIError">
) => {
  /** What the current request wrote that only one kind of address makes it write. */
  const wrote = defineRequestState(() => ({ resetToken: false, user: false }))

  /** Records a write in the current request's state; a write outside any request (a script's) is nobody's. */
  const mark = (record: (state: { resetToken: boolean; user: boolean }) => void): Promise<void> =>
    wrote.get().then(record, () => undefined).then(() => undefined)

  type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0]
  /** Whether the endpoint answered a success (an object Better Auth turns into a 200). */
  const succeeded = (ctx: HookContext) => {
    const returned = ctx.context.returned
    return returned !== undefined && !isAPIError(returned) && !(returned instanceof Response && !returned.ok)
  }

  return {
    id: "edge-auth-state-even-answers",
    init: () => ({
      options: {
        databaseHooks: {
          verification: {
            create: {
              after: async (verification: { readonly identifier: string }) => {
                if (verification.identifier.startsWith("reset-password:")) await mark((state) => (state.resetToken = true))
              }
            }
          },
          user: {
            create: {
              after: () => mark((state) => (state.user = true))
            }
          }
        }
      }
    }),
    hooks: {
      after: [
        {
          matcher: (ctx) => ctx.path === "/request-password-reset",
          handler: createAuthMiddleware(async (ctx) => {
            if (!succeeded(ctx)) return
            const adapter = ctx.context.internalAdapter
            if ((await wrote.get()).resetToken) {
              // The read an unknown address makes.
              await adapter.findVerificationValue(dummyResetIdentifier)
            } else {
              // The write a known address makes: a token of the same shape, sent to nobody.
              await adapter.createVerificationValue({
                identifier: `padding:${randomValue()}`,
                value: randomValue(),
                expiresAt: new Date(Date.now() + paddingLifetime * 1000)
              })
            }
          })
        },
        {
          matcher: (ctx) => ctx.path === "/sign-up/email",
          handler: createAuthMiddleware(async (ctx) => {
            if (!succeeded(ctx) || (await wrote.get()).user) return
            // The two inserts a new address makes (its user and its account): one row, written and deleted.
            const now = new Date()
            const row = await ctx.context.adapter.create<{ readonly id: string }>({
              model: "verification",
              data: { identifier: `padding:${randomValue()}`, value: randomValue(), expiresAt: now, createdAt: now, updatedAt: now }
            })
            await ctx.context.adapter.delete({ model: "verification", where: [{ field: "id", value: row.id }] })
          })
        }
      ]
    }
  } satisfies BetterAuthPlugin
}
