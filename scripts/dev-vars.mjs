// Gives a fresh checkout a local secret for `wrangler dev`: writes .dev.vars (git-ignored) with a
// random BETTER_AUTH_SECRET unless the file already exists. Production secrets are set with
// `wrangler secret put BETTER_AUTH_SECRET` and never live in the repository.
import { randomBytes } from "node:crypto"
import { existsSync, writeFileSync } from "node:fs"

if (!existsSync(".dev.vars")) {
  writeFileSync(".dev.vars", `BETTER_AUTH_SECRET=${randomBytes(32).toString("base64url")}\n`)
  console.log("Wrote .dev.vars with a random local BETTER_AUTH_SECRET")
}
