/**
 * This repository's worker loads Better Auth (with passkeys and the `openAPI` plugin,
 * `betterauth/BundledModule`) from a module bundled on its own (`npm run build:auth`, scripts/build-auth-library.ts), which wrangler
 * uploads beside the worker's (`find_additional_modules` and the rule in wrangler.toml): the worker's
 * bundle does not contain it, and workerd parses it when it is first imported, not when an isolate
 * starts (parsing it was a fifth of a start-up's CPU). Its module name is relative to `base_dir`
 * (src/layers), the folder of this file, so the same path resolves in the tests and in workerd.
 *
 * @module
 */
import type { Library, LibraryLoader } from "./betterauth/Library.js"

/** The module has the passkey and `openAPI` plugins (it is built from `BundledModule`). */
export const load: LibraryLoader = Object.assign((): Promise<Library> => import("./generated/better-auth.mjs" as string), {
  passkeys: true,
  openApi: true
})
