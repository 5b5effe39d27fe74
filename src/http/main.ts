/**
 * This repository's worker: its custom actions, the default rate-limit rules, everything else from
 * `wrangler.toml` and its secrets. A project using the library writes the same file.
 *
 * @module
 */
import { actions } from "./actions/index.js"
import * as Worker from "./Worker.js"

export default Worker.make({ actions }) satisfies ExportedHandler<Env>

/** The Durable Objects `wrangler.toml` declares. */
export { RateLimiterObject } from "../layers/RateLimiterDurableObject.js"
export { SessionRevocationsObject } from "../layers/SessionRevocationsDurableObject.js"
