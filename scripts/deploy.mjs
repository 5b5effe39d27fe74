// `npm run deploy [-- <wrangler deploy's arguments>]`: the deploy check (`npm run check`) on the
// configuration those arguments choose (`--env`, `--config`, `--var`), then, if it passes,
// `wrangler deploy --minify` with the same arguments: the minified bundle `npm run build` measures.
// A script rather than `npm run check && wrangler deploy`, where npm would hand the arguments to
// the deploy alone, checking one environment and deploying another. `--skip-secrets` is the
// check's own (see scripts/deploy-check.ts) and is not passed on.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"

const args = process.argv.slice(2)
const run = (command, commandArgs) => {
  const { status, error } = spawnSync(command, commandArgs, { stdio: "inherit" })
  if (error !== undefined) throw error
  return status ?? 1
}
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const checked = run(npm, ["run", "--silent", "check", "--", ...args])
if (checked !== 0) process.exit(checked)
const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js")
process.exit(run(process.execPath, [wrangler, "deploy", "--minify", ...args.filter((arg) => arg !== "--skip-secrets")]))
