/**
 * The Worker entry. The Effect runtime is built once per isolate, on the first request, and
 * shared by every request after it; only bindings (never request-bound I/O objects) live in it.
 *
 * @module
 */
import { Either } from "effect"
import { makeWebHandler } from "./App.js"
import { readConfig } from "./Config.js"
import type { Env } from "./Config.js"

export type { Env } from "./Config.js"

type Handler = (request: Request) => Promise<Response>

let built: { readonly env: Env; readonly handler: Handler } | undefined

const misconfigured = (problems: ReadonlyArray<string>): Handler => {
  console.error(JSON.stringify({ level: "ERROR", message: "worker misconfigured", problems }))
  return async () => Response.json({ error: "Service misconfigured", problems }, { status: 503 })
}

const handlerFor = (env: Env): Handler => {
  if (built?.env === env) return built.handler
  const handler = Either.match(readConfig(env), {
    onLeft: misconfigured,
    onRight: (config) => makeWebHandler(config).handler
  })
  built = { env, handler }
  return handler
}

export default {
  fetch(request, env) {
    return handlerFor(env)(request)
  }
} satisfies ExportedHandler<Env>
