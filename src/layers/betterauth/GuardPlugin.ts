/**
 * The `AttemptGuard` as a Better Auth plugin: its hook runs once Better Auth has routed a request to a
 * real endpoint and parsed its body, before the endpoint. A refusal is answered as it is; an
 * admitted attempt's headers (the rate-limit fields) are added to the endpoint's answer.
 *
 * What the guard is told is what the endpoint will act on:
 * - `valid`: whether the endpoint takes the input (its body schema, and Better Auth's password
 *   lengths), so a request it refuses before checking anything is no attempt;
 * - `user`: the session the endpoint will resolve. Better Auth's bearer plugin turns a valid Bearer
 *   token into the session cookie in its own `before` hook, whose change reaches the endpoint but
 *   not the hooks after it, so the guard asks that hook what it makes of the request's headers and
 *   reads the session from them as sensitive endpoints do (`getAuthoritativeSessionFromCtx`). A
 *   bogus Bearer beside a valid cookie is then the cookie's user, as for the endpoint.
 *
 * @module
 */
import type { BetterAuthPlugin } from "better-auth"
import { Effect, Option } from "effect"
import type { AttemptUser, AttemptGuardService } from "../../services/AttemptGuard.js"
import type { Library } from "./Library.js"

/** A parsed body's string field. */
const field = (body: unknown, name: string): string | undefined => {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined
  return typeof value === "string" ? value : undefined
}

/** What the guard needs of an endpoint Better Auth built: its body schema (a Standard Schema). */
export interface EndpointInput {
  readonly body?: { readonly "~standard": { readonly validate: (value: unknown) => unknown } } | undefined
}

/** Better Auth's password bounds, as its options set them. */
export interface PasswordLengths {
  readonly min: number
  readonly max: number
}

/**
 * Whether an endpoint takes `body`: its schema accepts it, no password is longer than Better Auth
 * hashes, and a new password is not shorter than it accepts (checked before anything is hashed).
 */
export const takesInput = async (endpoint: string, input: EndpointInput | undefined, body: unknown, lengths: PasswordLengths) => {
  if (input?.body !== undefined) {
    const result = (await input.body["~standard"].validate(body)) as { readonly issues?: ReadonlyArray<unknown> }
    if (result.issues !== undefined) return false
  }
  for (const name of ["password", "currentPassword", "newPassword"]) {
    const value = field(body, name)
    if (value !== undefined && value.length > lengths.max) return false
  }
  const chosen = endpoint.startsWith("/sign-up/") ? field(body, "password") : field(body, "newPassword")
  return chosen === undefined || chosen.length >= lengths.min
}

type BearerPlugin = ReturnType<Library["bearer"]>

export const guardPlugin = (
  { createAuthMiddleware, getAuthoritativeSessionFromCtx }: Pick<Library, "createAuthMiddleware" | "getAuthoritativeSessionFromCtx">,
  guard: AttemptGuardService,
  run: <A>(effect: Effect.Effect<A>) => Promise<A>,
  options: {
    /** The bearer plugin instance Better Auth runs before this one. */
    readonly bearer: BearerPlugin
    /** The input an endpoint (by path) takes; read once Better Auth is built. */
    readonly inputOf: (endpoint: string) => EndpointInput | undefined
    /** Records that the request is answered with a refusal of the guard's. */
    readonly refused: () => Promise<void>
    readonly passwords: PasswordLengths
  }
) => {
  type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0]

  /** The headers the endpoint will see: the bearer plugin's cookie for a valid Bearer token. */
  const endpointHeaders = async (ctx: HookContext): Promise<Headers | undefined> => {
    for (const hook of options.bearer.hooks.before) {
      if (!hook.matcher(ctx as never)) continue
      const result = (await hook.handler({ ...ctx, returnHeaders: true } as never)) as {
        readonly response?: { readonly context?: { readonly headers?: Headers } }
      } | undefined
      const changed = result?.response?.context?.headers
      if (changed !== undefined) return changed
    }
    return ctx.headers
  }

  const userOf = async (ctx: HookContext): Promise<Option.Option<AttemptUser>> => {
    const headers = await endpointHeaders(ctx)
    // A copy of the request's context, so the session read here is not cached for the endpoint.
    const session = await getAuthoritativeSessionFromCtx({ ...ctx, headers, context: { ...ctx.context, session: null } } as never)
      .catch(() => null)
    return session === null ? Option.none() : Option.some({ id: session.user.id, email: session.user.email })
  }

  return {
    id: "edge-auth-state-guard",
    hooks: {
      before: [{
        matcher: (context) => guard.covers(context.path ?? ""),
        handler: createAuthMiddleware(async (ctx) => {
          const valid = await takesInput(ctx.path, options.inputOf(ctx.path), ctx.body, options.passwords)
          const verdict = await run(guard.check({
            endpoint: ctx.path,
            body: ctx.body,
            valid,
            headers: ctx.headers ?? ctx.request?.headers ?? new Headers(),
            user: Effect.promise(() => userOf(ctx))
          }))
          if (verdict._tag === "Refused") {
            await options.refused()
            return verdict.response
          }
          for (const [name, value] of Object.entries(verdict.headers)) ctx.setHeader(name, value)
          return
        })
      }]
    }
  } satisfies BetterAuthPlugin
}
