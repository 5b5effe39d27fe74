/**
 * Better Auth's `openAPI` plugin, whose `generateOpenAPISchema()` describes Better Auth's routes for
 * the worker's document (`OpenApiDescription`). Not in `LibraryModule`: its generator reads zod
 * through `z.core`, which keeps all of zod (its locales: about 260 KiB minified) in any bundle that
 * has it. This repository's worker bundles it in Better Auth's own module without them
 * (`BundledModule`, `scripts/build-auth-library.ts`); a worker that loads `LibraryModule` or
 * `PasskeyModule` adds it with `OpenApiPlugin.withOpenApi`.
 *
 * @module
 */
export { openAPI } from "better-auth/plugins/open-api"
