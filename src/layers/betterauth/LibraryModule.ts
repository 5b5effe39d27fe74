/**
 * Every value this project takes from Better Auth, in the one module that loads Better Auth (and
 * through it zod, Kysely and better-call). The layer imports it on the first request that reaches
 * Better Auth (`BetterAuthConfig.load`), so a worker that only checks sessions never evaluates it;
 * every other module takes Better Auth's types only and receives these values as a parameter. It
 * imports nothing from Effect or the services: bundled on its own (`scripts/build-auth-library.ts`),
 * it would carry a second copy of them.
 *
 * Passkeys are not here: `@better-auth/passkey` is an optional peer, added by `PasskeyModule`. Nor
 * is the `openAPI` plugin (`OpenApiModule`): its generator brings zod whole, locales and all.
 *
 * @module
 */
export { betterAuth } from "better-auth"
export {
  APIError,
  createAuthMiddleware,
  freshSessionMiddleware,
  getAuthoritativeSessionFromCtx,
  isAPIError,
  requestOnlySessionMiddleware,
  router,
  sensitiveSessionMiddleware,
  sessionMiddleware
} from "better-auth/api"
export { defineRequestState, runWithAdapter, runWithRequestState } from "@better-auth/core/context"
export { bearer, magicLink } from "better-auth/plugins"
export { withClientErrors } from "./D1ClientErrors.js"
