/**
 * Better Auth's values, as every module of this folder takes them: what `LibraryModule` exports,
 * loaded on the first request that needs Better Auth (`BetterAuthConfig.load`), and the passkey
 * plugin when the library loaded has it (`PasskeyModule`).
 *
 * @module
 */
import type { BetterAuthPlugin } from "better-auth"
import type * as LibraryModule from "./LibraryModule.js"
import type * as OpenApiModule from "./OpenApiModule.js"

/** What `Options` gives the passkey plugin and reads back from its callbacks. */
export interface PasskeyPluginOptions {
  readonly rpName: string
  readonly rpID: string
  readonly origin: Array<string>
  readonly registration: {
    readonly afterVerification: (input: {
      readonly ctx: {
        readonly context: {
          readonly adapter: {
            readonly findOne: (query: { model: string; where: Array<{ field: string; value: string }> }) => Promise<unknown>
          }
        }
      }
      readonly verification: { readonly registrationInfo?: { readonly credential: { readonly id: string } } | undefined }
    }) => Promise<void>
  }
  readonly authentication: { readonly afterVerification: () => Promise<void> }
}

/** `@better-auth/passkey`'s `passkey`, as this project calls it. */
export type PasskeyFactory = (options: PasskeyPluginOptions) => BetterAuthPlugin

export type Library = typeof LibraryModule & {
  readonly passkey?: PasskeyFactory
  /** Better Auth's `openAPI` plugin (`OpenApiModule`), which describes its routes. */
  readonly openAPI?: typeof OpenApiModule.openAPI
}

/**
 * Loads a `Library` on the first request that needs Better Auth. `passkeys: true` states that the
 * library it loads has the passkey plugin (`PasskeyModule`): what the worker offers is known
 * without loading it (`GET /api/capabilities`). A loader without the flag is taken to have none.
 * `openApi: true` states that it has the `openAPI` plugin (`OpenApiModule`), so `/openapi.json`
 * lists Better Auth's routes; without it the document has the worker's own only.
 */
export interface LibraryLoader {
  (): Promise<Library>
  readonly passkeys?: boolean
  readonly openApi?: boolean
}
