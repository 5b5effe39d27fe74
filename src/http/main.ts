/**
 * This repository's worker: its custom actions, Better Auth with passkeys from a module of its own,
 * the default rate-limit rules, everything else from `wrangler.toml` and its secrets. A project
 * using the library writes the same file (examples/consumer/src/worker.ts).
 *
 * @module
 */
import * as GeneratedLibrary from "../layers/GeneratedLibrary.js"
import { actions } from "./actions/index.js"
import * as Worker from "./Worker.js"

export default Worker.make({ actions, betterAuth: { load: GeneratedLibrary.load } }) satisfies ExportedHandler<Env>

/** The Durable Objects `wrangler.toml` declares. */
export { RateLimiterObject } from "../layers/RateLimiterDurableObject.js"
export { SessionRevocationsObject } from "../layers/SessionRevocationsDurableObject.js"
