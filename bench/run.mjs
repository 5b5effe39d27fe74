// npm run bench: this project's worker and a hand-written baseline (bench/baseline), both in
// workerd via `wrangler dev`, driven with the same load on loopback, alternating, for three
// request kinds. Prints requests/s, p50 and p99 for each and the ratio ours/baseline, the KV
// operations each kind costs (read from the worker's own Effect metrics), and the bundle sizes.
//
//   npm run bench                      # defaults
//   BENCH_REQUESTS=400 BENCH_ROUNDS=6 BENCH_CONCURRENCY=8 npm run bench
//   BENCH_KINDS=auth npm run bench     # only the kinds whose name contains "auth"
//
// Besides req/s and latency it prints the server's CPU per request (wrangler's proxy and workerd,
// read from /proc on Linux): on a shared machine it moves far less from run to run than req/s.
import { spawn, execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
// Only the request kinds whose name contains this (e.g. BENCH_KINDS=auth); all by default.
const ONLY = process.env.BENCH_KINDS
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" }
const wrangler = join("node_modules", ".bin", "wrangler")
const secret = "benchmark-secret-that-is-at-least-32-characters"
const state = mkdtempSync(join(tmpdir(), "bench-"))
const children = []

const targets = {
  ours: { port: 8787, config: "wrangler.toml", persist: join(state, "ours"), vars: ["METRICS_ENABLED:true", "MAILER:outbox"] },
  baseline: { port: 8788, config: "bench/baseline/wrangler.toml", persist: join(state, "baseline"), vars: [] }
}

const run = (args) => execFileSync(wrangler, args, { env, stdio: ["ignore", "pipe", "pipe"] }).toString()

const start = async (name) => {
  const t = targets[name]
  mkdirSync(t.persist, { recursive: true })
  run(["d1", "migrations", "apply", "DB", "--local", "--config", t.config, "--persist-to", t.persist])
  run(["d1", "execute", "DB", "--local", "--config", t.config, "--persist-to", t.persist, "--file", "seed/analytics.sql"])
  const child = spawn(wrangler, [
    "dev", "--config", t.config, "--port", String(t.port), "--persist-to", t.persist, "--log-level", "error",
    "--var", `BETTER_AUTH_SECRET:${secret}`, ...t.vars.flatMap((v) => ["--var", v])
  ], { env, stdio: ["ignore", "ignore", "inherit"] })
  children.push(child)
  t.pid = child.pid
  const base = `http://localhost:${t.port}`
  for (let i = 0; i < 120; i++) {
    try {
      await fetch(`${base}/api/auth/ok`)
      return base
    } catch {
      await sleep(250)
    }
  }
  throw new Error(`${name} did not start`)
}

/**
 * CPU time (ms, user + system) used so far by a process and all its descendants: wrangler's proxy
 * and the workerd processes serving the worker. Linux only (/proc); undefined elsewhere.
 */
const treeCpuMs = (rootPid) => {
  if (!existsSync("/proc/self/stat")) return undefined
  const stats = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // Fields after the ")" closing the command name: state ppid ... utime(12) stime(13).
      const text = readFileSync(`/proc/${entry}/stat`, "utf8")
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
      stats.push({ pid: Number(entry), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) })
    } catch {
      // The process ended while being read.
    }
  }
  const tree = new Set([rootPid])
  for (let grew = true; grew;) {
    grew = false
    for (const s of stats) if (!tree.has(s.pid) && tree.has(s.ppid)) tree.add(s.pid), (grew = true)
  }
  // Linux reports these in USER_HZ, 100 per second.
  return stats.filter((s) => tree.has(s.pid)).reduce((sum, s) => sum + s.ticks, 0) * 10
}

const stop = () => {
  for (const child of children) child.kill("SIGTERM")
  rmSync(state, { recursive: true, force: true })
}
process.on("exit", stop)
process.on("SIGINT", () => process.exit(130))

const signUp = async (base) => {
  const response = await fetch(`${base}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "198.18.0.1", origin: base },
    body: JSON.stringify({ email: "bench@example.com", password: "correct-horse-battery", name: "Bench" })
  })
  if (response.status !== 200) throw new Error(`sign-up on ${base}: ${response.status} ${await response.text()}`)
  return (await response.json()).token
}

let ipCounter = 0
const nextIp = () => {
  ipCounter++
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}

const allKinds = {
  "GET /health (no I/O: the framework's floor)": (base) => [`${base}/health`, {}],
  "GET /api/me (Bearer)": (base, token) => [`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }],
  "cached action hit": (base, token) => [`${base}/api/actions/analytics-summary?days=7`, { headers: { authorization: `Bearer ${token}` } }],
  "rate-limited auth request": (base, token) => [
    `${base}/api/auth/get-session`,
    { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": nextIp() } }
  ]
}

const kinds = Object.fromEntries(Object.entries(allKinds).filter(([name]) => ONLY === undefined || name.includes(ONLY)))

/** `count` requests at `CONCURRENCY`; every latency in ms, the wall time, and the statuses. */
const load = async (makeRequest, count) => {
  const latencies = []
  const statuses = {}
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      next++
      const [url, init] = makeRequest()
      const t0 = performance.now()
      const response = await fetch(url, init)
      await response.arrayBuffer()
      latencies.push(performance.now() - t0)
      statuses[response.status] = (statuses[response.status] ?? 0) + 1
    }
  }))
  return { latencies, wall: performance.now() - started, statuses }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

const kvCounters = async (base) => {
  const { counters } = await (await fetch(`${base}/metrics`)).json()
  const totals = { read: 0, write: 0 }
  for (const c of counters) if (c.name === "kv_operations_total") totals[c.tags.kind] += c.count
  return totals
}

const bundleSize = (config) => {
  const out = join(state, `dist-${config.replace(/\W/g, "_")}`)
  const text = run(["deploy", "--dry-run", "--minify", "--config", config, "--outdir", out])
  const match = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(text)
  return match ? `${match[1]} (gzip ${match[2]})` : "unknown"
}

const main = async () => {
  console.log(`bench: ${ROUNDS} rounds x ${REQUESTS} requests per kind and target, concurrency ${CONCURRENCY}, alternating`)
  const ours = await start("ours")
  const baseline = await start("baseline")
  const tokens = { ours: await signUp(ours), baseline: await signUp(baseline) }
  const bases = { ours, baseline }
  for (const name of Object.keys(bases)) {
    for (const make of Object.values(kinds)) {
      const [url, init] = make(bases[name], tokens[name])
      await (await fetch(url, init)).arrayBuffer() // warm: compiles code paths, fills the cache
    }
  }

  // Warm both (JIT, caches, connection pools) with a discarded round of every kind.
  for (const make of Object.values(kinds)) {
    for (const name of ["ours", "baseline"]) await load(() => make(bases[name], tokens[name]), Math.min(REQUESTS, 200))
  }

  const rows = []
  for (const [kind, make] of Object.entries(kinds)) {
    const results = {
      ours: { latencies: [], wall: 0, statuses: {}, cpuMs: 0 },
      baseline: { latencies: [], wall: 0, statuses: {}, cpuMs: 0 }
    }
    const before = await kvCounters(ours)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["ours", "baseline"] : ["baseline", "ours"]
      for (const name of order) {
        const cpuBefore = treeCpuMs(targets[name].pid)
        const r = await load(() => make(bases[name], tokens[name]), REQUESTS)
        const cpuAfter = treeCpuMs(targets[name].pid)
        if (cpuBefore !== undefined && cpuAfter !== undefined) results[name].cpuMs += cpuAfter - cpuBefore
        results[name].latencies.push(...r.latencies)
        results[name].wall += r.wall
        for (const [s, n] of Object.entries(r.statuses)) results[name].statuses[s] = (results[name].statuses[s] ?? 0) + n
      }
    }
    const after = await kvCounters(ours)
    const perRequest = (k) => Math.max(0, (after[k] - before[k]) / (ROUNDS * REQUESTS)).toFixed(2)
    const summary = (name) => {
      const sorted = [...results[name].latencies].sort((a, b) => a - b)
      return {
        rps: (results[name].latencies.length / results[name].wall) * 1000,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        // Server CPU per request: what the worker costs the machine, steadier than req/s here.
        cpuMicros: existsSync("/proc/self/stat") ? (results[name].cpuMs * 1000) / results[name].latencies.length : Number.NaN,
        statuses: results[name].statuses
      }
    }
    rows.push({ kind, ours: summary("ours"), baseline: summary("baseline"), kvReads: perRequest("read"), kvWrites: perRequest("write") })
  }

  const fmt = (n) => n.toFixed(n >= 100 ? 0 : 2)
  console.log("")
  console.log("| request kind | target | req/s | p50 ms | p99 ms | server CPU µs/req | statuses |")
  console.log("| --- | --- | ---: | ---: | ---: | ---: | --- |")
  for (const row of rows) {
    for (const name of ["ours", "baseline"]) {
      const r = row[name]
      console.log(`| ${row.kind} | ${name} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuMicros)} | ${JSON.stringify(r.statuses)} |`)
    }
  }
  console.log("")
  console.log("| request kind | req/s ours/baseline | p50 ours/baseline | p99 ours/baseline | server CPU ours/baseline | KV reads/req | KV writes/req |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (const row of rows) {
    console.log(`| ${row.kind} | ${(row.ours.rps / row.baseline.rps).toFixed(2)} | ${(row.ours.p50 / row.baseline.p50).toFixed(2)} | ${(row.ours.p99 / row.baseline.p99).toFixed(2)} | ${(row.ours.cpuMicros / row.baseline.cpuMicros).toFixed(2)} | ${row.kvReads} | ${row.kvWrites} |`)
  }
  console.log("")
  console.log(`bundle (wrangler deploy --dry-run --minify): ours ${bundleSize("wrangler.toml")}, baseline ${bundleSize("bench/baseline/wrangler.toml")}`)
  mkdirSync("bench/results", { recursive: true })
  if (ONLY === undefined) writeFileSync("bench/results/latest.json", JSON.stringify({ at: new Date().toISOString(), REQUESTS, ROUNDS, CONCURRENCY, rows }, null, 2))
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
