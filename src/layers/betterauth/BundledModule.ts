/**
 * What this repository's worker loads Better Auth from (`GeneratedLibrary`), bundled on its own by
 * `scripts/build-auth-library.ts`: `PasskeyModule` (Better Auth with passkeys) and the `openAPI`
 * plugin for `/openapi.json` (`OpenApiModule`; the build leaves out the part of zod its generator
 * does not use).
 *
 * @module
 */
export * from "./PasskeyModule.js"
export { openAPI } from "./OpenApiModule.js"
