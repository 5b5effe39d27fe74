/**
 * `LibraryModule` with Better Auth's passkey plugin (`@better-auth/passkey`, an optional peer): the
 * library a worker with passkeys loads (`Passkeys.load`).
 *
 * @module
 */
import { passkey as plugin } from "@better-auth/passkey"
import type { PasskeyFactory } from "./Library.js"

export * from "./LibraryModule.js"

export const passkey: PasskeyFactory = plugin
