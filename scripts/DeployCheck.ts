/**
 * What would make a deploy go out half-configured, each problem one line saying what to set: the
 * rules `npm run check` applies (and `npm run deploy` before `wrangler deploy`).
 *
 * The worker's own configuration reader, `Config.readConfig`, judges the variables and secrets, in
 * its deploy mode (a public https `BETTER_AUTH_URL`, no outbox): what the deployed worker would
 * refuse at start-up is refused here first, by the same code. This module adds what only a deploy
 * can get wrong: the placeholder ids `wrangler.toml` ships with, and secrets that were never put
 * (or were put in `[vars]`, in the clear). A secret's value cannot be read back, only its name, so
 * a present secret stands in as a valid one.
 *
 * Pure: the CLI (`scripts/deploy-check.ts`) reads `wrangler.toml` with wrangler's own reader and
 * asks `wrangler secret list`.
 *
 * @module
 */
import { Either } from "effect"
import { readConfig, secretNames as workerSecrets } from "../src/http/Config.js"

/** The part of wrangler's resolved configuration (`unstable_readConfig`) the check reads. */
export interface DeployConfig {
  /** The `--env` chosen: the sections and commands in the messages are that environment's. */
  readonly env?: string | undefined
  readonly vars: Readonly<Record<string, unknown>>
  readonly kv_namespaces: ReadonlyArray<{ readonly binding: string; readonly id?: string | undefined }>
  readonly d1_databases: ReadonlyArray<{
    readonly binding: string
    readonly database_name?: string | undefined
    readonly database_id?: string | undefined
  }>
  readonly durable_objects: { readonly bindings: ReadonlyArray<{ readonly name: string }> }
  readonly ratelimits: ReadonlyArray<{ readonly name: string }>
}

/** An id as Cloudflare writes a KV namespace's: 32 hex digits. */
const kvId = /^[0-9a-f]{32}$/i
/** A D1 database id: 32 hex digits, as a UUID (with its hyphens) or without them. */
const d1Id = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i
const allZero = (id: string) => /^[0-]+$/.test(id)

/** Why `id` is no id of a real resource, or `undefined` when it looks like one. */
const idProblem = (id: string | undefined, pattern: RegExp): string | undefined =>
  id === undefined || id.trim() === ""
    ? "has no id"
    : allZero(id)
    ? `has the placeholder id ${id}`
    : pattern.test(id)
    ? undefined
    : `has the id ${JSON.stringify(id)}, which is not 32 hex digits`

/** A stand-in for a binding: an object with the methods `readConfig` looks for. */
const stub = (...methods: ReadonlyArray<string>) => Object.fromEntries(methods.map((m) => [m, () => undefined]))

/**
 * A message from `readConfig` made to name the environment's own places: its `[env.<name>.vars]`
 * section, and `--env <name>` on a `wrangler secret put`.
 */
const inEnvironment = (message: string, env: string | undefined): string =>
  env === undefined
    ? message
    : message.replaceAll("[vars]", `[env.${env}.vars]`).replace(/wrangler secret put [A-Z_]+/g, (command) => `${command} --env ${env}`)

/**
 * Every problem a deploy of `config` would have, given the names of the secrets the worker has
 * (`wrangler secret list`); `undefined` when they were not asked for, and the secrets go unchecked.
 * An empty list: nothing to set.
 */
export const problems = (config: DeployConfig, secretNames: ReadonlyArray<string> | undefined): Array<string> => {
  const section = (name: string) => (config.env === undefined ? `[[${name}]]` : `[[env.${config.env}.${name}]]`)
  const secretPut = (name: string) => `wrangler secret put ${name}${config.env === undefined ? "" : ` --env ${config.env}`}`
  const found: Array<string> = []

  for (const { binding, id } of config.kv_namespaces) {
    const problem = idProblem(id, kvId)
    if (problem !== undefined) {
      found.push(`KV namespace ${binding} ${problem}: set its id in ${section("kv_namespaces")} to the one \`wrangler kv namespace create ${binding}\` prints`)
    }
  }
  for (const { binding, database_id, database_name } of config.d1_databases) {
    const problem = idProblem(database_id, d1Id)
    if (problem !== undefined) {
      found.push(`D1 database ${binding} ${problem}: set its database_id in ${section("d1_databases")} to the one \`wrangler d1 create ${database_name ?? binding}\` prints`)
    }
  }

  // A secret in [vars] is uploaded and shown in the clear; the worker reads only the secret.
  const vars = { ...config.vars }
  for (const name of workerSecrets) {
    if (name in vars) {
      found.push(`${name} is in ${config.env === undefined ? "[vars]" : `[env.${config.env}.vars]`}, readable by anyone with the repository: remove it there and \`${secretPut(name)}\``)
      delete vars[name]
    }
  }

  // The worker's env as deployed: the variables, a stand-in for each binding and each secret present.
  const present = secretNames ?? workerSecrets
  const env: Record<string, unknown> = {
    ...vars,
    ...Object.fromEntries(present.map((name) => [name, "a deployed secret, whose value cannot be read back"])),
    ...Object.fromEntries(config.kv_namespaces.map(({ binding }) => [binding, stub("get", "put", "delete", "list")])),
    ...Object.fromEntries(config.d1_databases.map(({ binding }) => [binding, stub("prepare", "batch")])),
    ...Object.fromEntries(config.durable_objects.bindings.map(({ name }) => [name, stub("idFromName", "get")])),
    ...Object.fromEntries(config.ratelimits.map(({ name }) => [name, stub("limit")]))
  }
  const read = readConfig(env, { deploy: true })
  if (Either.isLeft(read)) found.push(...read.left.map((message) => inEnvironment(message, config.env)))
  return found
}
