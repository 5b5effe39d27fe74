/**
 * Every value this project takes from Better Auth, in the one module that loads Better Auth (and
 * through it zod, Kysely, better-call and the WebAuthn libraries).
 *
 * `BetterAuth` imports it with a dynamic `import()` on the first request that reaches Better Auth,
 * so a worker that starts and answers requests needing only a session check (a Bearer request to
 * the API) never evaluates any of it: that costs tens of milliseconds of start-up and first-request
 * CPU. Every other module takes Better Auth's types only (`import type`) and receives these values
 * as a parameter. This module imports nothing from Effect: the bundler wraps whatever a dynamic
 * import reaches in lazily-run functions, which would keep every Effect module it touched from
 * being tree-shaken.
 *
 * @module
 */
export { betterAuth } from "better-auth"
export { passkey } from "@better-auth/passkey"
export { APIError, createAuthMiddleware, isAPIError } from "better-auth/api"
export { bearer, magicLink } from "better-auth/plugins"
export { withClientErrors } from "./D1ClientErrors.js"
