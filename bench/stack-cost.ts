/**
 * npm run bench:stack: the CPU cost of this project's HTTP stack per request, measured in one Node
 * process (quieter than the loopback bench): the worker's real handler over in-memory stand-ins
 * for KV and D1, against a bare `new Response(...)`, run side by side.
 */
import { Duration, Redacted } from "effect"
import { makeWebHandler } from "../src/http/App.js"

const kv = {
  get: async () => null,
  getWithMetadata: async () => ({ value: null, metadata: null }),
  put: async () => {},
  delete: async () => {},
  list: async () => ({ keys: [], list_complete: true })
} as unknown as KVNamespace
const db = { prepare: () => ({ bind: () => ({ all: async () => ({ results: [] }) }) }), batch: async () => [] } as unknown as D1Database

const { handler } = makeWebHandler({
  kv,
  db,
  secret: Redacted.make("stack-cost-secret-that-is-long-enough"),
  baseURL: "http://localhost:8787",
  sessionExpiresIn: Duration.days(7),
  sessionUpdateAge: Duration.days(1),
  exposeMetrics: false
})

declare const process: { readonly env: Record<string, string | undefined>; exit(code: number): never }

const N = Number(process.env.STACK_REQUESTS ?? 20_000)
const time = async (run: () => Promise<Response>) => {
  for (let i = 0; i < 2_000; i++) await (await run()).text()
  const started = performance.now()
  for (let i = 0; i < N; i++) await (await run()).text()
  return ((performance.now() - started) * 1000) / N
}

const bare = () => Promise.resolve(Response.json({ status: "ok" }))
for (const [name, path, headers] of [
  ["GET /health", "/health", {}],
  ["GET /api/me, unknown token (KV miss, 401)", "/api/me", { authorization: "Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345" }]
] as const) {
  const baseline = await time(bare)
  const ours = await time(() => handler(new Request(`http://localhost:8787${path}`, { headers })))
  console.log(`${name}: ${ours.toFixed(1)} µs/request; a bare Response: ${baseline.toFixed(1)} µs; the stack's own cost: ${(ours - baseline).toFixed(1)} µs`)
}
process.exit(0)
