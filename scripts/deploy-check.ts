/**
 * `npm run check [-- --env <name>] [--skip-secrets]`: refuses a deploy that would go out
 * half-configured, one line per thing to set (the rules are `scripts/DeployCheck.ts`'s), and exits
 * non-zero. `npm run deploy` runs it with its own arguments before `wrangler deploy`.
 *
 * It reads the configuration as `wrangler deploy` will, with wrangler's own reader (`--env`,
 * `--config`, `--var NAME:VALUE` and `--name` taken as wrangler takes them; other arguments are
 * wrangler's and ignored here), and the names of the worker's secrets from `wrangler secret list`,
 * which needs the Cloudflare account a deploy needs: when it cannot list them, that is the refusal.
 * `--skip-secrets` checks everything else, without an account (CI dry runs, tests).
 *
 * @module
 */
import { execFile } from "node:child_process"
import { createRequire } from "node:module"
import { experimental_readRawConfig, unstable_readConfig } from "wrangler"
import { problems } from "./DeployCheck.js"

interface Arguments {
  readonly env?: string
  readonly config?: string
  readonly name?: string
  readonly vars: Record<string, string>
  readonly skipSecrets: boolean
}

/** The arguments this check reads, spelled as wrangler's parser accepts them. */
const parseArguments = (argv: ReadonlyArray<string>): Arguments => {
  const options: { env?: string; config?: string; name?: string } = {}
  const vars: Record<string, string> = {}
  let skipSecrets = false
  const addVar = (entry: string) => {
    const colon = entry.indexOf(":")
    if (colon > 0) vars[entry.slice(0, colon)] = entry.slice(colon + 1)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    if (flag === "--skip-secrets") skipSecrets = true
    else if (flag === "--env" || flag === "-e") options.env = value() ?? ""
    else if (flag === "--config" || flag === "-c") options.config = value() ?? ""
    else if (flag === "--name") options.name = value() ?? ""
    else if (flag === "--var") {
      // An array option: every value up to the next flag.
      if (inline !== undefined) addVar(inline)
      else while (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) addVar(argv[++i]!)
    }
  }
  return { ...options, vars, skipSecrets }
}

/** The first error line of a wrangler failure, without its colours and its `✘ [ERROR]` mark. */
const firstError = (output: string): string => {
  const lines = output.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((line) => line.trim()).filter(Boolean)
  const line = lines.find((l) => l.includes("[ERROR]")) ?? lines[0] ?? "no output"
  // Its first sentence: wrangler goes on with links and advice.
  return line.replace(/^.*\[ERROR\]\s*/, "").replace(/(\.)\s.*$/, "$1")
}

/**
 * The names of the worker's secrets, or why they could not be listed. A worker never deployed
 * has none (`wrangler secret put` creates it).
 */
const listSecrets = (args: Arguments): Promise<{ readonly names: ReadonlyArray<string> } | { readonly failure: string }> => {
  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js")
  const flags = [
    ...(args.env === undefined ? [] : ["--env", args.env]),
    ...(args.config === undefined ? [] : ["--config", args.config]),
    ...(args.name === undefined ? [] : ["--name", args.name])
  ]
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [wrangler, "secret", "list", "--format", "json", ...flags],
      { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error !== null) {
          const reason = firstError(`${stderr}\n${stdout}`)
          return resolve(/Worker ".*" .*not found/.test(reason) ? { names: [] } : { failure: reason })
        }
        try {
          const listed: unknown = JSON.parse(stdout.slice(stdout.indexOf("["), stdout.lastIndexOf("]") + 1))
          if (!Array.isArray(listed)) throw new Error("not a list")
          resolve({ names: listed.map((secret: { readonly name?: unknown }) => String(secret.name)) })
        } catch {
          resolve({ failure: `its output is not the JSON list expected: ${firstError(stdout)}` })
        }
      }
    )
  })
}

const args = parseArguments(process.argv.slice(2))
const where = `${args.config ?? "wrangler.toml"}${args.env === undefined ? "" : ` (--env ${args.env})`}`
function refuse(lines: ReadonlyArray<string>): never {
  console.error(`npm run check: ${where} is not ready to deploy; nothing was deployed.`)
  for (const line of lines) console.error(`  ✘ ${line}`)
  process.exit(1)
}

const configArgs = { ...(args.config === undefined ? {} : { config: args.config }), ...(args.env === undefined ? {} : { env: args.env }) }
/** Wrangler's complaints about the file, one line: its diagnostics' first lines, or its first line. */
const unreadable = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error)
  const diagnostics = message.split("\n").filter((line) => /^\s*- /.test(line)).map((line) => line.replace(/^\s*- /, ""))
  return `wrangler cannot read it: ${diagnostics.length > 0 ? diagnostics.join("; ") : firstError(message)}`
}
// Without the section, wrangler deploys the top-level configuration under the environment's name
// (or refuses, once other environments are declared).
if (args.env !== undefined) {
  let declared = false
  try {
    declared = experimental_readRawConfig(configArgs).rawConfig.env?.[args.env] !== undefined
  } catch (error) {
    refuse([unreadable(error)])
  }
  if (!declared) refuse([`there is no [env.${args.env}] section: add it, or deploy without --env ${args.env}`])
}
let config: ReturnType<typeof unstable_readConfig>
try {
  config = unstable_readConfig(configArgs, { hideWarnings: true })
} catch (error) {
  refuse([unreadable(error)])
}

// Without the list, the rest is still checked, and the failure is one more refusal.
const listed = args.skipSecrets ? undefined : await listSecrets(args)
const secretNames = listed === undefined || "failure" in listed ? undefined : listed.names
const found = problems({ ...config, env: args.env, vars: { ...config.vars, ...args.vars } }, secretNames)
if (listed !== undefined && "failure" in listed) {
  found.push(`\`wrangler secret list\` failed, so the secrets are unchecked (${listed.failure}): log in with \`wrangler login\` or set CLOUDFLARE_API_TOKEN`)
}
if (found.length > 0) refuse(found)
console.log(`npm run check: ${where} is ready to deploy${secretNames === undefined ? " (secrets not checked: --skip-secrets)" : ""}.`)
