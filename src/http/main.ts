/**
 * This repository's worker: its custom actions, Better Auth with passkeys from a module of its own,
 * the default rate-limit rules, everything else from `wrangler.toml` and its secrets. A project
 * using the library writes the same file with `Worker.make` (examples/consumer/src/worker.ts),
 * which is `WorkerHandler.make` with a default library.
 *
 * @module
 */
import * as GeneratedLibrary from "../layers/GeneratedLibrary.js"
import { actions } from "./actions/index.js"
import * as WorkerHandler from "./WorkerHandler.js"

// `Worker.make` without its default library: that one would be bundled beside the module loaded here.
export default WorkerHandler.make({ actions, betterAuth: { load: GeneratedLibrary.load } }) satisfies ExportedHandler<Env>

/** The Durable Objects `wrangler.toml` declares. */
export { RateLimiterObject } from "../layers/RateLimiterDurableObject.js"
export { SessionRevocationsObject } from "../layers/SessionRevocationsDurableObject.js"
