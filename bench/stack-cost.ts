/**
 * npm run bench:stack: the CPU each request kind costs, in one Node process (quieter than the
 * loopback bench, and no network, proxy or KV simulator in the way): this project's worker and
 * the hand-written baseline (bench/baseline/worker.ts), each over its own in-memory KV and D1
 * stand-ins holding the same session, run alternately, side by side. Prints CPU µs per request,
 * the ratio ours/baseline and the KV operations each side issued (they must match: same work)
 * for every kind `npm run bench` drives, plus /health (the floor).
 *
 *   npm run bench:stack
 *   STACK_REQUESTS=5000 STACK_ROUNDS=8 STACK_KINDS=auth npm run bench:stack
 *   STACK_ONLY=ours STACK_KINDS=auth node --cpu-prof node_modules/.cache/stack-cost.mjs   # profile one side
 */
import baseline from "./baseline/worker.js"
import worker from "../src/http/main.js"

declare const process: { readonly env: Record<string, string | undefined>; exit(code: number): never }

const REQUESTS = Number(process.env.STACK_REQUESTS ?? 3_000)
const ROUNDS = Number(process.env.STACK_ROUNDS ?? 6)

/** A KV namespace in a Map: values, metadata and expiry, enough for both workers. */
const memoryKv = (): KVNamespace => {
  const counts = { reads: 0, writes: 0 }
  const entries = new Map<string, { value: string; metadata: unknown; expiresAt: number | undefined }>()
  const live = (key: string) => {
    const entry = entries.get(key)
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  return {
    counts,
    get: async (key: string | Array<string>) => {
      counts.reads++
      if (Array.isArray(key)) return new Map(key.map((k) => [k, live(k)?.value ?? null]))
      return live(key)?.value ?? null
    },
    getWithMetadata: async (key: string) => {
      counts.reads++
      const entry = live(key)
      return { value: entry?.value ?? null, metadata: entry?.metadata ?? null, cacheStatus: null }
    },
    put: async (key: string, value: string, options?: KVNamespacePutOptions) => {
      counts.writes++
      const expiresAt = options?.expirationTtl !== undefined
        ? Date.now() + options.expirationTtl * 1000
        : options?.expiration !== undefined
        ? options.expiration * 1000
        : undefined
      entries.set(key, { value, metadata: structuredClone(options?.metadata ?? null), expiresAt })
    },
    delete: async (key: string) => {
      counts.writes++
      entries.delete(key)
    },
    list: async () => ({ keys: [], list_complete: true, cacheStatus: null })
  } as unknown as KVNamespace
}

/** Better Auth's tables as the migrations create them, for its start-up schema check. */
const { readdirSync, readFileSync } = (await import("node:fs" as string)) as {
  readdirSync(path: string): Array<string>
  readFileSync(path: string, encoding: "utf8"): string
}
const migrations = readdirSync("migrations").filter((name) => name.endsWith(".sql")).sort()
  .map((name) => readFileSync(`migrations/${name}`, "utf8")).join("\n")
const tables = [...migrations.matchAll(/create table "(\w+)" \((.*)\);/g)].map(
  ([, name, columns]) => ({
    name: name!,
    columns: columns!.split(/, (?=")/).map((column) => ({
      name: /^"(\w+)"/.exec(column)![1],
      type: column.split(" ")[1]!.toUpperCase(),
      notnull: column.includes("not null") ? 1 : 0,
      dflt_value: null,
      pk: column.includes("primary key") ? 1 : 0
    }))
  })
)

/**
 * D1 answering what these requests ask of it: Better Auth's schema check (sqlite_master, then
 * pragma_table_info per table) and the analytics queries (only a cache miss reaches them).
 */
const fakeD1 = (): D1Database => {
  const rows = (sql: string, params: Array<unknown>): Array<Record<string, unknown>> => {
    if (sql.includes("sqlite_master")) return tables.map(({ name }) => ({ name, type: "table" }))
    if (sql.includes("pragma_table_info")) return tables.find((t) => t.name === params[0])?.columns ?? []
    if (sql.includes("page_views")) {
      return sql.includes("group by")
        ? [{ path: "/", views: 120 }, { path: "/pricing", views: 40 }]
        : [{ totalViews: 160, uniquePaths: 2 }]
    }
    return []
  }
  const statement = (sql: string, params: Array<unknown> = []) => ({
    bind: (...bound: Array<unknown>) => statement(sql, bound),
    all: async () => ({ results: rows(sql, params), success: true, meta: { changes: 0 } }),
    first: async () => rows(sql, params)[0] ?? null,
    run: async () => ({ results: [], success: true, meta: { changes: 0 } }),
    raw: async () => rows(sql, params).map((r) => Object.values(r)),
    results: () => rows(sql, params)
  })
  return {
    prepare: (sql: string) => statement(sql),
    batch: async (statements: Array<ReturnType<typeof statement>>) =>
      statements.map((s) => ({ results: s.results(), success: true, meta: { changes: 0 } })),
    exec: async () => ({ count: 0, duration: 0 }),
    dump: async () => new ArrayBuffer(0)
  } as unknown as D1Database
}

const token = "BenchToken0123456789abcdefghijkl"
const now = Date.now()
const sessionRecord = JSON.stringify({
  session: {
    id: "bench-session",
    token,
    userId: "bench-user",
    expiresAt: new Date(now + 7 * 86_400_000).toISOString(),
    createdAt: new Date(now - 1000).toISOString(),
    updatedAt: new Date(now - 1000).toISOString(),
    ipAddress: "198.18.0.1",
    userAgent: "bench"
  },
  user: {
    id: "bench-user",
    name: "Bench",
    email: "bench@example.com",
    emailVerified: false,
    image: null,
    createdAt: new Date(now - 1000).toISOString(),
    updatedAt: new Date(now - 1000).toISOString()
  }
})

const secret = "benchmark-secret-that-is-at-least-32-characters"
const makeEnv = async (origin: string) => {
  const KV = memoryKv()
  // Better Auth's secondary-storage record, under the key both workers use for it.
  await KV.put(`session:${token}`, sessionRecord, { expirationTtl: 7 * 86_400, metadata: { expiresAt: now + 7 * 86_400_000 } })
  return { KV, DB: fakeD1(), BETTER_AUTH_SECRET: secret, BETTER_AUTH_URL: origin, MAILER: "outbox" }
}
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext

type Target = { readonly fetch: (request: Request) => Promise<Response>; readonly kv: { reads: number; writes: number } }
const targets: Record<"ours" | "baseline", Target> = await (async () => {
  const oursEnv = await makeEnv("http://localhost:8787")
  const baselineEnv = await makeEnv("http://localhost:8788")
  const counts = (kv: KVNamespace) => (kv as unknown as { counts: { reads: number; writes: number } }).counts
  return {
    ours: { fetch: (request) => worker.fetch(request as never, oursEnv as never, ctx), kv: counts(oursEnv.KV) },
    baseline: { fetch: (request) => baseline.fetch(request as never, baselineEnv as never), kv: counts(baselineEnv.KV) }
  }
})()

let ip = 0
const kinds: Record<string, () => [string, RequestInit]> = {
  "GET /health (the floor)": () => ["/health", {}],
  "GET /api/me (Bearer)": () => ["/api/me", { headers: { authorization: `Bearer ${token}` } }],
  "cached action hit": () => ["/api/actions/analytics-summary?days=7", { headers: { authorization: `Bearer ${token}` } }],
  "rate-limited auth request": () => {
    ip++
    return ["/api/auth/get-session", {
      headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}` }
    }]
  }
}

const { cpuUsage } = (await import("node:process" as string)) as { cpuUsage(): { user: number; system: number } }
const cpuMicros = () => {
  const { user, system } = cpuUsage()
  return user + system
}

/**
 * CPU µs per request over `count` sequential requests (CPU time, not wall time: another process
 * taking the core does not count against either side), the statuses seen and the KV operations.
 */
const time = async (target: Target, make: () => [string, RequestInit], count: number) => {
  const statuses: Record<number, number> = {}
  const reads = target.kv.reads
  const writes = target.kv.writes
  const started = cpuMicros()
  for (let i = 0; i < count; i++) {
    const [path, init] = make()
    const response = await target.fetch(new Request(`http://localhost${path}`, init))
    await response.arrayBuffer()
    statuses[response.status] = (statuses[response.status] ?? 0) + 1
  }
  return {
    micros: (cpuMicros() - started) / count,
    statuses,
    reads: (target.kv.reads - reads) / count,
    writes: (target.kv.writes - writes) / count
  }
}

type Side = "ours" | "baseline"
/** STACK_ONLY=ours (or baseline) runs one side alone, e.g. under `node --cpu-prof`. */
const sides: ReadonlyArray<Side> = process.env.STACK_ONLY === "ours" || process.env.STACK_ONLY === "baseline"
  ? [process.env.STACK_ONLY]
  : ["ours", "baseline"]
const only = process.env.STACK_KINDS // e.g. "auth": only the kinds whose name contains it
// The median round: one slow round on a shared machine should not decide the figure.
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

console.log(`bench:stack: ${ROUNDS} rounds x ${REQUESTS} requests per kind and side, sequential, alternating; CPU time`)
console.log("")
console.log("| request kind | ours µs/req | baseline µs/req | ours/baseline (CPU) | KV reads+writes/req ours / baseline | statuses ours / baseline |")
console.log("| --- | ---: | ---: | ---: | --- | --- |")
for (const [kind, make] of Object.entries(kinds).filter(([name]) => only === undefined || name.includes(only))) {
  // Warm: JIT, the analytics cache, the HMAC key.
  for (const side of sides) await time(targets[side], make, Math.min(REQUESTS, 1_000))
  const rounds: Record<Side, Array<Awaited<ReturnType<typeof time>>>> = { ours: [], baseline: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) rounds[side].push(await time(targets[side], make, REQUESTS))
  }
  const summary = (side: Side) => {
    if (rounds[side].length === 0) return { micros: Number.NaN, statuses: {}, kv: "-" }
    const statuses: Record<number, number> = {}
    for (const r of rounds[side]) for (const [s, n] of Object.entries(r.statuses)) statuses[Number(s)] = (statuses[Number(s)] ?? 0) + n
    const last = rounds[side][rounds[side].length - 1]!
    return { micros: median(rounds[side].map((r) => r.micros)), statuses, kv: `${last.reads.toFixed(1)}+${last.writes.toFixed(1)}` }
  }
  const ours = summary("ours")
  const base = summary("baseline")
  console.log(
    `| ${kind} | ${ours.micros.toFixed(1)} | ${base.micros.toFixed(1)} | ${(ours.micros / base.micros).toFixed(2)} | ${ours.kv} / ${base.kv} | ${JSON.stringify(ours.statuses)} / ${JSON.stringify(base.statuses)} |`
  )
}
process.exit(0)
