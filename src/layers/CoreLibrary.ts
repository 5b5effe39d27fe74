/**
 * Better Auth without passkeys (email and password, magic links), loaded on the first request that
 * needs Better Auth: what `Worker.make` loads unless told otherwise. `Passkeys.load` is the same
 * library with the passkey plugin.
 *
 * @module
 */
import type { LibraryLoader } from "./betterauth/Library.js"

export const load: LibraryLoader = () => import("./betterauth/LibraryModule.js")
