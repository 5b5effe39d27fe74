// npm run bench: this project's worker and a hand-written baseline (bench/baseline), both in
// workerd via `wrangler dev`, the whole story in one run:
//
//   1. bundle sizes (`wrangler deploy --dry-run --minify`);
//   2. startup: `wrangler check startup` of each, BENCH_STARTUP_SAMPLES times, alternating; the
//      non-idle CPU in the startup profile, median;
//   3. load: the same requests on loopback, alternating rounds, for every request kind: req/s,
//      p50, p99, the server's CPU per request (wrangler's proxy and workerd, from /proc on Linux:
//      on a shared machine it moves far less than req/s) and the KV operations each kind costs
//      (read from the worker's own Effect metrics);
//   4. cold start: BENCH_COLD_SAMPLES times each, alternating, a fresh `wrangler dev` (a new
//      isolate, module scope evaluated, nothing else), then one GET /api/me with a Bearer token
//      under the inspector's CPU profiler: the first request builds the runtime and Better Auth.
//      The non-idle CPU of that profile, median; its wall time beside it.
//
// The last line is one summary, ours/baseline for each figure, which the targets are stated in.
//
//   npm run bench                                          # defaults: 6 x 300, c=8, 7 startup, 7 cold
//   BENCH_ROUNDS=1 BENCH_REQUESTS=50 BENCH_STARTUP_SAMPLES=1 BENCH_COLD_SAMPLES=1 npm run bench  # quick
//   BENCH_KINDS=auth npm run bench                         # only the kinds whose name contains "auth"
//   BENCH_PORT=8787 BENCH_INSPECTOR_PORT=9229 npm run bench   # ports: these and the next one up
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  buildBundle, bundleSize, busyMs, inspect, load, makeTargets, median, prepare, selectedKinds, signUp,
  startServer, startupProfile, stopServer, treeCpuMs, runMain
} from "./workers.mjs"

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const STARTUP_SAMPLES = Number(process.env.BENCH_STARTUP_SAMPLES ?? 7)
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 7)
const state = mkdtempSync(join(tmpdir(), "bench-"))
const targets = makeTargets(state)
const names = ["ours", "baseline"]
const kinds = selectedKinds()
const servers = new Set()

const started = async (name) => {
  const server = await startServer(targets[name])
  servers.add(server)
  return server
}
const stopped = async (server) => {
  await stopServer(server)
  servers.delete(server)
}
const stopAll = () => Promise.all([...servers].map(stopped))

process.on("SIGINT", () => {
  stopAll().finally(() => {
    rmSync(state, { recursive: true, force: true })
    process.exit(130)
  })
})

/** Progress on stderr, so stdout stays the report. */
const progress = (message) => process.stderr.write(`bench: ${message}\n`)

/** KV reads and writes so far, in total and per keyspace (`ratelimit`, `session`, `auth`, ...). */
const kvCounters = async (base) => {
  const { counters } = await (await fetch(`${base}/metrics`)).json()
  const totals = { read: 0, write: 0, keyspaces: {} }
  for (const c of counters) {
    if (c.name !== "kv_operations_total") continue
    totals[c.tags.kind] += c.count
    const keyspace = (totals.keyspaces[c.tags.keyspace ?? "other"] ??= { read: 0, write: 0 })
    keyspace[c.tags.kind] += c.count
  }
  return totals
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 2) : "-")
const ratio = (a, b) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : "-")

/** Bundles and startup profiles first, while no `wrangler dev` is watching the files they touch. */
const measureBuilds = () => {
  const sizes = {}
  const startup = { ours: [], baseline: [] }
  const bundles = {}
  for (const name of names) {
    progress(`bundling ${name}`)
    sizes[name] = bundleSize(targets[name], join(state, "build"))
    bundles[name] = buildBundle(targets[name], join(state, "build")).bundle
  }
  for (let i = 0; i < STARTUP_SAMPLES; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      progress(`startup profile ${i + 1}/${STARTUP_SAMPLES}: ${name}`)
      startup[name].push(busyMs(startupProfile(targets[name], join(state, "build"), bundles[name], i)))
    }
  }
  return { sizes, startup }
}

const measureLoad = async () => {
  progress("starting both workers")
  const running = { ours: await started("ours"), baseline: await started("baseline") }
  const bases = { ours: running.ours.base, baseline: running.baseline.base }
  const tokens = { ours: await signUp(bases.ours), baseline: await signUp(bases.baseline) }
  for (const name of names) {
    for (const kind of kinds) {
      const [url, init] = kind.make(bases[name], tokens[name])
      await (await fetch(url, init)).arrayBuffer() // compiles code paths, fills the cache
    }
  }
  // Warm both (JIT, caches, connection pools) with a discarded round of every kind.
  for (const kind of kinds) {
    for (const name of names) await load(() => kind.make(bases[name], tokens[name]), Math.min(REQUESTS, 200), CONCURRENCY)
  }
  const rows = []
  for (const kind of kinds) {
    progress(`load: ${kind.name}`)
    const results = Object.fromEntries(names.map((n) => [n, { latencies: [], wall: 0, statuses: {}, cpuMs: 0 }]))
    const before = await kvCounters(bases.ours)
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const cpuBefore = treeCpuMs(running[name].child.pid)
        const r = await load(() => kind.make(bases[name], tokens[name]), REQUESTS, CONCURRENCY)
        const cpuAfter = treeCpuMs(running[name].child.pid)
        if (cpuBefore !== undefined && cpuAfter !== undefined) results[name].cpuMs += cpuAfter - cpuBefore
        results[name].latencies.push(...r.latencies)
        results[name].wall += r.wall
        for (const [s, n] of Object.entries(r.statuses)) results[name].statuses[s] = (results[name].statuses[s] ?? 0) + n
      }
    }
    const after = await kvCounters(bases.ours)
    // A counter that went down means the worker was reloaded (a source file changed) mid-kind.
    const perRequest = (k) => (after[k] < before[k] ? Number.NaN : (after[k] - before[k]) / (ROUNDS * REQUESTS))
    // Per keyspace, those the kind touched: e.g. the auth request's buckets apart from its session reads.
    const byKeyspace = Object.entries(after.keyspaces).flatMap(([name, now]) => {
      const then = before.keyspaces[name] ?? { read: 0, write: 0 }
      const reads = (now.read - then.read) / (ROUNDS * REQUESTS)
      const writes = (now.write - then.write) / (ROUNDS * REQUESTS)
      return reads > 0 || writes > 0 ? [`${name} ${reads.toFixed(2)}/${writes.toFixed(2)}`] : []
    }).join(", ")
    const summary = (name) => {
      const r = results[name]
      const sorted = [...r.latencies].sort((a, b) => a - b)
      return {
        rps: (r.latencies.length / r.wall) * 1000,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        cpuMicros: treeCpuMs(process.pid) === undefined ? Number.NaN : (r.cpuMs * 1000) / r.latencies.length,
        statuses: r.statuses
      }
    }
    rows.push({ kind: kind.name, short: kind.short, ours: summary("ours"), baseline: summary("baseline"), kvReads: perRequest("read"), kvWrites: perRequest("write"), byKeyspace })
  }
  await stopAll()
  return { rows, tokens }
}

/** A fresh isolate per sample: start, profile the first request, stop. */
const measureCold = async (tokens) => {
  const cold = { ours: [], baseline: [] }
  for (let i = 0; i < COLD_SAMPLES; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      progress(`cold start ${i + 1}/${COLD_SAMPLES}: ${name}`)
      const server = await started(name)
      try {
        const inspector = await inspect(targets[name])
        const { value, profile } = await inspector.profile(async () => {
          const t0 = performance.now()
          const response = await fetch(`${server.base}/api/me`, { headers: { authorization: `Bearer ${tokens[name]}` } })
          await response.arrayBuffer()
          return { status: response.status, wallMs: performance.now() - t0 }
        })
        inspector.close()
        if (value.status !== 200) throw new Error(`${name}: cold GET /api/me answered ${value.status}`)
        cold[name].push({ cpuMs: busyMs(profile), wallMs: value.wallMs })
      } finally {
        await stopped(server)
      }
    }
  }
  return cold
}

const main = async () => {
  console.log(
    `bench: ${ROUNDS} rounds x ${REQUESTS} requests per kind and target, concurrency ${CONCURRENCY}, alternating; ` +
      `${STARTUP_SAMPLES} startup profiles and ${COLD_SAMPLES} cold starts per target`
  )
  const { sizes, startup } = measureBuilds()
  for (const name of names) prepare(targets[name])
  const { rows, tokens } = await measureLoad()
  const cold = COLD_SAMPLES > 0 ? await measureCold(tokens) : { ours: [], baseline: [] }

  console.log("")
  console.log("| request kind | target | req/s | p50 ms | p99 ms | server CPU µs/req | statuses |")
  console.log("| --- | --- | ---: | ---: | ---: | ---: | --- |")
  for (const row of rows) {
    for (const name of names) {
      const r = row[name]
      console.log(`| ${row.kind} | ${name} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuMicros)} | ${JSON.stringify(r.statuses)} |`)
    }
  }
  console.log("")
  console.log("| request kind | req/s ours/baseline | p50 ours/baseline | p99 ours/baseline | server CPU ours/baseline | KV reads/req | KV writes/req | KV reads/writes per keyspace |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
  for (const row of rows) {
    console.log(
      `| ${row.kind} | ${ratio(row.ours.rps, row.baseline.rps)} | ${ratio(row.ours.p50, row.baseline.p50)} | ${ratio(row.ours.p99, row.baseline.p99)} | ${ratio(row.ours.cpuMicros, row.baseline.cpuMicros)} | ${fmt(row.kvReads)} | ${fmt(row.kvWrites)} | ${row.byKeyspace || "-"} |`
    )
  }
  const startupMs = Object.fromEntries(names.map((n) => [n, median(startup[n])]))
  const coldCpu = Object.fromEntries(names.map((n) => [n, median(cold[n].map((c) => c.cpuMs))]))
  const coldWall = Object.fromEntries(names.map((n) => [n, median(cold[n].map((c) => c.wallMs))]))
  console.log("")
  console.log("| | ours | baseline | ours/baseline |")
  console.log("| --- | ---: | ---: | ---: |")
  console.log(`| startup: non-idle CPU ms in the startup profile, median of ${STARTUP_SAMPLES} | ${fmt(startupMs.ours)} | ${fmt(startupMs.baseline)} | ${ratio(startupMs.ours, startupMs.baseline)} |`)
  console.log(`| cold start: CPU ms of the first request in a fresh isolate, median of ${COLD_SAMPLES} | ${fmt(coldCpu.ours)} | ${fmt(coldCpu.baseline)} | ${ratio(coldCpu.ours, coldCpu.baseline)} |`)
  console.log(`| cold start: wall ms of that request | ${fmt(coldWall.ours)} | ${fmt(coldWall.baseline)} | ${ratio(coldWall.ours, coldWall.baseline)} |`)
  console.log(`| bundle KiB (wrangler deploy --dry-run --minify) | ${sizes.ours?.kib ?? "-"} | ${sizes.baseline?.kib ?? "-"} | ${ratio(sizes.ours?.kib, sizes.baseline?.kib)} |`)
  console.log(`| bundle KiB gzip | ${sizes.ours?.gzipKib ?? "-"} | ${sizes.baseline?.gzipKib ?? "-"} | ${ratio(sizes.ours?.gzipKib, sizes.baseline?.gzipKib)} |`)

  mkdirSync("bench/results", { recursive: true })
  if (process.env.BENCH_KINDS === undefined) {
    writeFileSync(
      "bench/results/latest.json",
      JSON.stringify({ at: new Date().toISOString(), REQUESTS, ROUNDS, CONCURRENCY, rows, startup, cold, sizes }, null, 2)
    )
  }
  const per = (f) => rows.map((row) => `${row.short} ${f(row)}`).join(" ")
  console.log("")
  console.log(
    `summary: cpu ${per((r) => ratio(r.ours.cpuMicros, r.baseline.cpuMicros))}` +
      ` | req/s ${per((r) => ratio(r.ours.rps, r.baseline.rps))}` +
      ` | kv r/w ${per((r) => `${r.kvReads.toFixed(1)}/${r.kvWrites.toFixed(1)}`)}` +
      ` | startup ${ratio(startupMs.ours, startupMs.baseline)} (${fmt(startupMs.ours)}/${fmt(startupMs.baseline)} ms)` +
      ` | cold ${ratio(coldCpu.ours, coldCpu.baseline)} (${fmt(coldCpu.ours)}/${fmt(coldCpu.baseline)} ms)` +
      ` | bundle ${sizes.ours?.gzipKib ?? "-"}/${sizes.baseline?.gzipKib ?? "-"} KiB gzip`
  )
}

runMain(main, async () => {
  await stopAll()
  rmSync(state, { recursive: true, force: true })
})
