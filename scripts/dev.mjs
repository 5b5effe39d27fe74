// npm run dev [-- <wrangler dev options>]: the worker on this machine, with nothing else to set up.
//
// 1. Local secrets in .wrangler/dev.vars (git-ignored, created once): a random BETTER_AUTH_SECRET,
//    and MAILER=outbox so mail is kept and served at /dev/outbox instead of sent. Not .dev.vars,
//    which `wrangler types` would read into the checked-in `Env` (an older .dev.vars is moved here).
// 2. The D1 migrations and the sample rows, into the local D1 under .wrangler/.
// 3. `wrangler dev`, with every option given here passed on. BETTER_AUTH_URL follows the port
//    (`npm run dev -- --port 8811` serves links, redirects and passkeys on http://localhost:8811)
//    unless the options set it; RATE_LIMIT_BACKEND from the shell picks the limiter, and
//    SESSION_REVOCATION the revocation mode.
import { spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs"

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }
const wrangler = "node_modules/.bin/wrangler"
const secrets = ".wrangler/dev.vars"

mkdirSync(".wrangler", { recursive: true })
if (!existsSync(secrets) && existsSync(".dev.vars")) renameSync(".dev.vars", secrets)
const existing = existsSync(secrets) ? readFileSync(secrets, "utf8") : ""
const has = (name) => new RegExp(`^\\s*${name}\\s*=`, "m").test(existing)
const missing = []
if (!has("BETTER_AUTH_SECRET")) missing.push(`BETTER_AUTH_SECRET=${randomBytes(32).toString("base64url")}`)
if (!has("MAILER")) missing.push("MAILER=outbox")
if (missing.length > 0) {
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n"
  appendFileSync(secrets, `${separator}${missing.map((line) => `${line}\n`).join("")}`)
  console.log(`${secrets}: added ${missing.map((line) => line.split("=")[0]).join(", ")}`)
}

const run = (args) => {
  const result = spawnSync(wrangler, args, { env, stdio: "inherit" })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
run(["d1", "migrations", "apply", "DB", "--local"])
run(["d1", "execute", "DB", "--local", "--file", "seed/analytics.sql"])

const args = process.argv.slice(2)
const portArg = args.findIndex((a) => a === "--port" || a.startsWith("--port="))
const port = portArg < 0 ? "8787" : args[portArg].includes("=") ? args[portArg].split("=")[1] : args[portArg + 1]
const setsUrl = args.some((a, i) => args[i - 1] === "--var" && a.startsWith("BETTER_AUTH_URL:"))
const extra = [
  "--env-file", secrets,
  ...(setsUrl ? [] : ["--var", `BETTER_AUTH_URL:http://localhost:${port}`]),
  ...(process.env.RATE_LIMIT_BACKEND ? ["--var", `RATE_LIMIT_BACKEND:${process.env.RATE_LIMIT_BACKEND}`] : []),
  ...(process.env.SESSION_REVOCATION ? ["--var", `SESSION_REVOCATION:${process.env.SESSION_REVOCATION}`] : [])
]
const dev = spawn(wrangler, ["dev", ...extra, ...args], { env, stdio: "inherit" })
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal))
dev.on("exit", (code) => process.exit(code ?? 0))
