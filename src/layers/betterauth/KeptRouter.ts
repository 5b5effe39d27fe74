/**
 * Better Auth's handler with its router kept across requests: a workaround for better-auth#10188.
 *
 * @module
 */
import type { AuthContext, BetterAuthOptions } from "better-auth"
import type { Library } from "./Library.js"

/** What `handlerWithKeptRouter` needs of a built Better Auth. */
export interface RoutableAuth {
  readonly handler: (request: Request) => Promise<Response>
  readonly options: BetterAuthOptions
  /** Its context (an `AuthContext` narrowed by the options' plugins). */
  readonly $context: Promise<object>
}

/**
 * `auth.handler`, with Better Auth's router built once per list of trusted origins instead of on
 * every request. Better Auth's handler copies its context and builds every endpoint and a new
 * router for each request (better-auth#10188): in the profile of the rate-limited auth request that
 * was the largest part of Better Auth's own time. What else its handler does per request is done
 * here the same way: a copy of the context with the request's trusted origins, and the adapter's
 * async context around the call. A workaround: once Better Auth keeps its router across requests
 * (the fix proposed in better-auth#10287), `auth.handler` does this itself and this goes.
 *
 * A router is kept only when nothing else in that copy depends on the request: a `baseURL` that is
 * a string, trusted providers that are a list, and trusted origins that are a list or a function
 * answering at once from the request alone (`TrustedOrigins.forBetterAuth`). Any other
 * configuration, and lists beyond the first `limit`, go to `auth.handler` as before.
 *
 * A request awaits what `auth.handler` awaits (Better Auth's context) and nothing more: its router
 * is found, or built, synchronously after it, so no request awaits a router another one is building.
 */
export const handlerWithKeptRouter = (
  library: Pick<Library, "router" | "runWithAdapter">,
  auth: RoutableAuth,
  limit = 16
): ((request: Request) => Promise<Response>) => {
  const { options } = auth
  if (typeof options.baseURL !== "string" || typeof options.account?.accountLinking?.trustedProviders === "function") {
    return auth.handler
  }
  const trustedFor = options.trustedOrigins
  const routers = new Map<string, { readonly adapter: AuthContext["adapter"]; readonly handler: (request: Request) => Promise<Response> }>()
  const routerFor = (ctx: AuthContext, extra: ReadonlyArray<string>) => {
    const key = extra.join(" ")
    const known = routers.get(key)
    if (known !== undefined || routers.size >= limit) return known
    // Better Auth's own copy: its prototype and every property, then the request's values.
    const handlerCtx: AuthContext = Object.create(Object.getPrototypeOf(ctx), Object.getOwnPropertyDescriptors(ctx))
    // The start-up list (no request) and what the request adds to it: Better Auth's list for it.
    handlerCtx.trustedOrigins = [...ctx.trustedOrigins, ...extra.filter((o) => Boolean(o) && !ctx.trustedOrigins.includes(o))]
    const routed = { adapter: handlerCtx.adapter, handler: library.router(handlerCtx, options).handler }
    routers.set(key, routed)
    return routed
  }
  return (request) =>
    auth.$context.then((ctx) => {
      const extra: unknown = typeof trustedFor === "function" ? trustedFor(request) : []
      if (!Array.isArray(extra) || !extra.every((o): o is string => typeof o === "string")) return auth.handler(request)
      const routed = routerFor(ctx as AuthContext, extra)
      if (routed === undefined) return auth.handler(request)
      // Typed as a promise of the promise `fn` returns; it awaits it, as Better Auth's handler relies on.
      return library.runWithAdapter(routed.adapter, () => routed.handler(request)) as unknown as Promise<Response>
    })
}
