// `npm run check` end to end, without an account or the network: the CLI (scripts/deploy-check.ts,
// bundled as `npm run check` bundles it) on temporary copies of wrangler.toml, asking
// `wrangler secret list` of a stand-in for Cloudflare's API on a loopback port.
import { build } from "esbuild"
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "../..")
const cli = join(root, "node_modules/.cache/deploy-check-test.mjs")
const account = "0123456789abcdef0123456789abcdef"
const dir = mkdtempSync(join(tmpdir(), "deploy-check-"))

/** The secrets the stand-in API lists per worker name; a name it does not know is refused (403). */
const secretsOf: Record<string, ReadonlyArray<string>> = {
  "edge-auth-state": ["BETTER_AUTH_SECRET", "RESEND_API_KEY"],
  "edge-auth-state-staging": ["RESEND_API_KEY"]
}
const asked: Array<string> = []
const api = createServer((request, response) => {
  const name = /\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/secrets$/.exec(request.url ?? "")?.[1]
  asked.push(name ?? request.url ?? "")
  const listed = name === undefined ? undefined : secretsOf[name]
  response.writeHead(listed === undefined ? 403 : 200, { "content-type": "application/json" })
  response.end(JSON.stringify(
    listed === undefined
      ? { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null }
      : { success: true, errors: [], messages: [], result: listed.map((secret) => ({ name: secret, type: "secret_text" })) }
  ))
})

const shipped = readFileSync(join(root, "wrangler.toml"), "utf8")
/** wrangler.toml as a production deploy would have it: real-looking ids, a public URL, a sender. */
const ready = shipped
  .replace("id = \"00000000000000000000000000000000\"", "id = \"3f0e8a1c9b2d4e5fa6b7c8d9e0f1a2b3\"")
  .replace("database_id = \"00000000-0000-0000-0000-000000000000\"", "database_id = \"8c5e1f0a-2b3c-4d5e-8f9a-0b1c2d3e4f5a\"")
  .replace("BETTER_AUTH_URL = \"http://localhost:8787\"", "BETTER_AUTH_URL = \"https://auth.example.com\"")
  .replace("MAIL_FROM = \"\"", "MAIL_FROM = \"Example <auth@example.com>\"")
/** A copy of `text` as its own project's wrangler.toml; the path of the copy. */
const project = (name: string, text: string) => {
  mkdirSync(join(dir, name))
  writeFileSync(join(dir, name, "wrangler.toml"), text)
  return join(dir, name, "wrangler.toml")
}

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}
const check = (...args: ReadonlyArray<string>): Promise<Run> => {
  // Only the stand-in's credentials: none of this machine's reach wrangler.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDFLARE_")))
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], {
      cwd: root,
      env: {
        ...env,
        CLOUDFLARE_API_TOKEN: "stand-in-token",
        CLOUDFLARE_ACCOUNT_ID: account,
        CLOUDFLARE_API_BASE_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/client/v4`,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        XDG_CONFIG_HOME: dir
      }
    }, (error, stdout, stderr) => done({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
  })
}
const refusals = (run: Run) => run.stderr.split("\n").filter((line) => line.startsWith("  ✘ ")).map((line) => line.slice(4))

beforeAll(async () => {
  await build({
    entryPoints: [join(root, "scripts/deploy-check.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "warning",
    outfile: cli
  })
  await new Promise<void>((listening) => api.listen(0, "127.0.0.1", listening))
})
afterAll(() => {
  api.close()
  rmSync(dir, { recursive: true, force: true })
})

describe("npm run check", { timeout: 60_000 }, () => {
  it("refuses wrangler.toml as shipped, one line per setting, and exits non-zero", async () => {
    const run = await check("--config", project("shipped", shipped), "--skip-secrets")
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^npm run check: .*wrangler\.toml is not ready to deploy; nothing was deployed\.$/m)
    expect(refusals(run)).toEqual([
      "KV namespace KV has the placeholder id 00000000000000000000000000000000: set its id in [[kv_namespaces]] to the one `wrangler kv namespace create KV` prints",
      "D1 database DB has the placeholder id 00000000-0000-0000-0000-000000000000: set its database_id in [[d1_databases]] to the one `wrangler d1 create edge-auth-state` prints",
      "BETTER_AUTH_URL is http://localhost:8787, a loopback address: set it in [vars] to the worker's public https URL, e.g. https://auth.example.com",
      "MAIL_FROM is not set: set it in [vars] to the sender of sign-in mail, e.g. \"Example <auth@example.com>\" on a domain verified with Resend (or MAILER=none for no mail)"
    ])
  })

  it("passes a production configuration whose worker has both secrets", async () => {
    const run = await check("--config", project("ready", ready))
    expect([run.code, run.stderr]).toEqual([0, ""])
    expect(run.stdout).toMatch(/is ready to deploy\.\n$/)
    expect(asked).toContain("edge-auth-state")
  })

  it("reads an --env as wrangler does (its own vars and bindings, its worker's secrets) and takes --var", async () => {
    const config = project("staging", `${ready}\n[env.staging]\nvars = { BETTER_AUTH_URL = "https://staging.example.com", MAIL_FROM = "auth@example.com" }\n`)
    const run = await check("--config", config, "--env", "staging", "--var", "MAILER:smtp")
    expect(run.code).toBe(1)
    expect(asked).toContain("edge-auth-state-staging")
    expect(refusals(run)).toEqual([
      "KV namespace binding `KV` is missing",
      "D1 database binding `DB` is missing",
      "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET --env staging)",
      "MAILER must be resend, outbox or none (got \"smtp\")"
    ])
    expect(refusals(await check("--config", config, "--env", "production", "--skip-secrets"))).toEqual([
      "there is no [env.production] section: add it, or deploy without --env production"
    ])
  })

  it("when the secrets cannot be listed, says so and still names the rest", async () => {
    const run = await check("--config", project("unlisted", ready.replace("MAILER = \"resend\"", "MAILER = \"outbox\"")), "--name", "not-ours")
    expect(run.code).toBe(1)
    expect(refusals(run)).toEqual([
      "MAILER=outbox serves every mail at /dev/outbox, for local development only: set MAILER in [vars] to resend (or none for no mail)",
      expect.stringMatching(/^`wrangler secret list` failed, so the secrets are unchecked \(.+\): log in with `wrangler login` or set CLOUDFLARE_API_TOKEN$/)
    ])
  })
})
