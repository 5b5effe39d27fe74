// Gives a fresh checkout its local settings for `wrangler dev` in .dev.vars (git-ignored): a random
// BETTER_AUTH_SECRET, and MAILER=outbox so mail is kept and served at /dev/outbox instead of sent.
// A file that already exists keeps its values; a setting it lacks is appended. Production secrets
// are set with `wrangler secret put` and never live in the repository; production has no MAILER
// line, so it sends through the real provider.
import { randomBytes } from "node:crypto"
import { appendFileSync, existsSync, readFileSync } from "node:fs"

const existing = existsSync(".dev.vars") ? readFileSync(".dev.vars", "utf8") : ""
const has = (name) => new RegExp(`^\\s*${name}\\s*=`, "m").test(existing)
const missing = []
if (!has("BETTER_AUTH_SECRET")) missing.push(`BETTER_AUTH_SECRET=${randomBytes(32).toString("base64url")}`)
if (!has("MAILER")) missing.push("MAILER=outbox")
if (missing.length > 0) {
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n"
  appendFileSync(".dev.vars", `${separator}${missing.map((line) => `${line}\n`).join("")}`)
  console.log(`.dev.vars: added ${missing.map((line) => line.split("=")[0]).join(", ")}`)
}
