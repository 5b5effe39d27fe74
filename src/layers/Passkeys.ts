/**
 * Passkeys, for a worker that wants them: Better Auth with its passkey plugin, loaded on the first
 * request that needs Better Auth. It needs the optional peer `@better-auth/passkey` installed (see
 * the README for the npm `overrides` it needs beside better-auth today), and the `passkey` table
 * (`migrations/`).
 *
 * ```ts
 * export default Worker.make({ actions, betterAuth: { load: Passkeys.load } })
 * ```
 *
 * @module
 */
import type { LibraryLoader } from "./betterauth/Library.js"

export const load: LibraryLoader = Object.assign(() => import("./betterauth/PasskeyModule.js"), { passkeys: true })
