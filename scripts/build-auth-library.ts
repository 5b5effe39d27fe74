/**
 * Bundles `src/layers/betterauth/PasskeyModule.ts` (Better Auth, its plugins and their dependencies)
 * into `src/layers/generated/better-auth.mjs`, the module this repository's worker loads Better Auth
 * from (`GeneratedLibrary`), uploaded beside the worker's.
 *
 * Run by wrangler's custom build (`npm run build:auth`, before every `wrangler dev` and
 * `wrangler deploy`) and by the test configuration before the tests.
 */
import { build } from "esbuild"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"

const outfile = "src/layers/generated/better-auth.mjs"
const result = await build({
  entryPoints: ["src/layers/betterauth/PasskeyModule.ts"],
  outfile,
  write: false,
  bundle: true,
  format: "esm",
  // As wrangler bundles for workerd; Node's built-ins come from its nodejs_compat flag.
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["node:*", "cloudflare:*", "@opentelemetry/api"],
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
