/**
 * Better Auth's routes in `/openapi.json` for a worker that loads `LibraryModule` or `PasskeyModule`
 * (`CoreLibrary.load`, `Passkeys.load`): `withOpenApi` adds Better Auth's `openAPI` plugin
 * (`betterauth/OpenApiModule`) to what `load` loads, imported when Better Auth is first needed.
 * It costs bundle size: the plugin's generator keeps all of zod in the worker's bundle (about
 * 380 KiB minified). This repository's worker needs none of this: its Better Auth module has the
 * plugin without that cost (`GeneratedLibrary`).
 *
 * ```ts
 * import { OpenApiPlugin } from "edge-auth-state/layers"
 * export default Worker.make({ actions, betterAuth: { load: OpenApiPlugin.withOpenApi(Passkeys.load) } })
 * ```
 *
 * @module
 */
import * as CoreLibrary from "./CoreLibrary.js"
import type { LibraryLoader } from "./betterauth/Library.js"

/** `load` (default `CoreLibrary.load`, `Worker.make`'s own default) with the `openAPI` plugin. */
export const withOpenApi = (load: LibraryLoader = CoreLibrary.load): LibraryLoader =>
  Object.assign(
    () => Promise.all([load(), import("./betterauth/OpenApiModule.js")]).then(([library, { openAPI }]) => ({ ...library, openAPI })),
    { passkeys: load.passkeys === true, openApi: true }
  )
