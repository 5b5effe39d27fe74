/**
 * Every value this project takes from Better Auth, in the one module that loads Better Auth (and
 * through it zod, Kysely, better-call and the WebAuthn libraries).
 *
 * The worker does not bundle it: `npm run build:auth` bundles it on its own into
 * `src/layers/generated/better-auth.mjs`, which `BetterAuth` imports on the first request that reaches
 * Better Auth. A worker that starts and answers requests needing only a session check (a Bearer
 * request to the API) never parses or evaluates any of it: that was tens of milliseconds of its
 * start-up and first request. Every other module takes Better Auth's types only (`import type`) and
 * receives these values as a parameter; tests and scripts may import this module directly. It
 * imports nothing from Effect or this project's services: bundled on its own, it would carry a
 * second copy of them.
 *
 * @module
 */
export { betterAuth } from "better-auth"
export { passkey } from "@better-auth/passkey"
export { APIError, createAuthMiddleware, getAuthoritativeSessionFromCtx, isAPIError, router } from "better-auth/api"
export { defineRequestState, runWithAdapter, runWithRequestState } from "@better-auth/core/context"
export { bearer, magicLink } from "better-auth/plugins"
export { withClientErrors } from "./D1ClientErrors.js"
