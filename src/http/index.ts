/**
 * The HTTP edge, as the package's main entry (`edge-auth-state`): `Worker.make` for the worker's
 * entry file, `Action.make` for custom actions, the API and its typed `Client`, the rate-limit
 * `Rules`, the errors actions answer with, and the Durable Object classes the entry file exports.
 *
 * ```ts
 * import { Worker } from "edge-auth-state"
 * export default Worker.make({ actions: [MyAction.action] })
 * export { RateLimiterObject, SessionRevocationsObject } from "edge-auth-state"
 * ```
 *
 * @module
 */
export * as Action from "./Action.js"
export * as Api from "./Api.js"
export * as Client from "./Client.js"
export * as Rules from "./ratelimit/Rules.js"
export * as Worker from "./Worker.js"
export { ServiceUnavailable, Unauthorized } from "./ApiErrors.js"
export { RateLimiterObject } from "../layers/RateLimiterDurableObject.js"
export { SessionRevocationsObject } from "../layers/SessionRevocationsDurableObject.js"
