/**
 * Passkeys, as the package's `edge-auth-state/passkey` entry: `Passkeys.load` gives Better Auth with
 * its passkey plugin. Its own entry, so a worker without passkeys never imports the optional peer
 * `@better-auth/passkey` (and never meets its pinned dependencies).
 *
 * ```ts
 * import { Passkeys } from "edge-auth-state/passkey"
 * export default Worker.make({ actions, betterAuth: { load: Passkeys.load } })
 * ```
 *
 * @module
 */
export * as Passkeys from "./layers/Passkeys.js"
