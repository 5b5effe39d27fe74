/**
 * The services, as the package's `edge-auth-state/services` entry: each a `Context.Tag` with the
 * interface a layer implements (`edge-auth-state/layers`) and the errors its operations fail with.
 * What an action's handler may require is `Action.ActionServices` (`edge-auth-state`).
 *
 * @module
 */
export * from "./BackgroundTasks.js"
export * from "./Cache.js"
export * from "./CurrentUser.js"
export * from "./Database.js"
export * from "./Kv.js"
export * from "./Mailer.js"
export * from "./RateLimiter.js"
export * from "./SessionIndex.js"
export * from "./SessionRevocations.js"
export * from "./SessionStore.js"
export * from "./Tracing.js"
export { AuthProvider, AuthUnavailable } from "./AuthProvider.js"
export type { AuthProviderService } from "./AuthProvider.js"
