/**
 * Bundles `src/layers/betterauth/BundledModule.ts` (Better Auth, its plugins and their dependencies)
 * into `src/layers/generated/better-auth.mjs`, the module this repository's worker loads Better Auth
 * from (`GeneratedLibrary`), uploaded beside the worker's.
 *
 * Run by wrangler's custom build (`npm run build:auth`, before every `wrangler dev` and
 * `wrangler deploy`) and by the test configuration before the tests.
 */
import { build } from "esbuild"
import type { Plugin } from "esbuild"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"

/**
 * The `openAPI` plugin's generator reads zod as `import * as z from "zod"` and tests schemas with
 * `z.core.$ZodObject` and the like. A namespace used as a value (`z.core`) keeps all of zod/v4/core
 * in the bundle, its locales included: 260 KiB minified, parsed by every first request to Better
 * Auth, for two classes. Here that import gets zod with a `core` of just the classes the generator
 * names (read from its source), the same classes as zod's own. Should the generator use `z.core`
 * any other way, the build fails rather than bundle a `core` that lacks what it reads.
 */
const zodCoreByName: Plugin = {
  name: "open-api-zod-core",
  setup(build) {
    build.onResolve({ filter: /^zod$/ }, (args) => {
      // Only the plugin's own import; the module made below imports the real zod.
      if (args.namespace !== "file" || !/[\\/]better-auth[\\/]dist[\\/]plugins[\\/]open-api[\\/]/.test(args.importer)) return undefined
      const source = readFileSync(args.importer, "utf8")
      const namespace = /import \* as (\w+) from "zod"/.exec(source)?.[1]
      if (namespace === undefined || !source.includes(`${namespace}.core`)) return undefined
      const names = [...new Set(Array.from(source.matchAll(new RegExp(`\\b${namespace}\\.core\\.(\\$?\\w+)`, "g")), (m) => m[1]!))]
      if (new RegExp(`\\b${namespace}\\.core\\b(?!\\.\\$?\\w)`).test(source)) {
        return { errors: [{ text: `${args.importer} uses ${namespace}.core other than as ${namespace}.core.<name>: see scripts/build-auth-library.ts` }] }
      }
      return { path: `zod for ${args.importer}`, namespace: "open-api-zod", pluginData: { names, resolveDir: args.resolveDir } }
    })
    build.onLoad({ filter: /.*/, namespace: "open-api-zod" }, (args) => {
      const { names, resolveDir } = args.pluginData as { names: ReadonlyArray<string>; resolveDir: string }
      return {
        resolveDir,
        contents: `export * from "zod"\nimport { ${names.join(", ")} } from "zod/v4/core"\nexport const core = { ${names.join(", ")} }\n`
      }
    })
  }
}

const outfile = "src/layers/generated/better-auth.mjs"
const result = await build({
  entryPoints: ["src/layers/betterauth/BundledModule.ts"],
  outfile,
  write: false,
  bundle: true,
  format: "esm",
  // As wrangler bundles for workerd; Node's built-ins come from its nodejs_compat flag.
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["node:*", "cloudflare:*", "@opentelemetry/api"],
  plugins: [zodCoreByName],
  // Parsed on the first request reaching Better Auth: the smaller, the sooner it answers.
  minify: true,
  logLevel: "warning"
})

// Written only when it changed: `npm run dev` rebuilds on every change under src/, and an
// unchanged module must not look like one more change.
const text = result.outputFiles[0]!.text
if (!existsSync(outfile) || readFileSync(outfile, "utf8") !== text) {
  mkdirSync("src/layers/generated", { recursive: true })
  writeFileSync(outfile, text)
}
