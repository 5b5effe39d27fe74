// npm run bench: this project's worker and a hand-written baseline (bench/baseline), both in
// workerd via `wrangler dev`, the whole story in one run:
//
//   1. bundle sizes (`wrangler deploy --dry-run --minify`);
//   2. startup: `wrangler check startup` of each, BENCH_STARTUP_SAMPLES times, alternating; the
//      non-idle CPU in the startup profile, median;
//   3. load: the same requests on loopback, alternating rounds, for every request kind (in two
//      sessions: each worker started first for half of the rounds and second for the other half,
//      so neither gains from its place), req/s,
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
//   npm run bench                                          # defaults: 6 x 300, c=8, 15 startup, 7 cold
//   BENCH_ROUNDS=1 BENCH_REQUESTS=50 BENCH_STARTUP_SAMPLES=1 BENCH_COLD_SAMPLES=1 npm run bench  # quick
//   BENCH_KINDS=auth npm run bench                         # only the kinds whose name contains "auth"
//   BENCH_KINDS=health,auth npm run bench                  # several, by short name or part of a name
//   BENCH_PORT=8787 BENCH_INSPECTOR_PORT=9229 npm run bench   # ports: these and the next one up
//   BENCH_AA=1 npm run bench                               # the baseline against itself: the bench's own error
//   BENCH_REVOCATION=immediate npm run bench               # ours with SESSION_REVOCATION=immediate
//   BENCH_REVOCATION=immediate-vs-eventual BENCH_KINDS=me npm run bench
//                                                          # ours immediate against ours eventual (in the
//                                                          # baseline's place): ratios are immediate/eventual
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
const STARTUP_SAMPLES = Number(process.env.BENCH_STARTUP_SAMPLES ?? 15)
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 7)
const state = mkdtempSync(join(tmpdir(), "bench-"))
const targets = makeTargets(state)
/**
 * BENCH_AA=1: the baseline against itself, in the place of ours. Every ratio of that run is the
 * bench's own error (its noise, and any bias of a slot): what "no difference" looks like here.
 */
const AA = process.env.BENCH_AA === "1"
if (AA) Object.assign(targets.ours, { config: targets.baseline.config, vars: targets.baseline.vars })
/**
 * BENCH_REVOCATION=immediate: ours with SESSION_REVOCATION=immediate (every session read also asks
 * the user's revocations Durable Object). `immediate-vs-eventual`: and in the baseline's place, ours
 * as configured by default (eventual), so every ratio is what immediate costs over eventual.
 */
const REVOCATION = process.env.BENCH_REVOCATION
if (REVOCATION !== undefined && !["immediate", "immediate-vs-eventual"].includes(REVOCATION)) {
  throw new Error(`BENCH_REVOCATION must be immediate or immediate-vs-eventual (got ${JSON.stringify(REVOCATION)})`)
}
if (REVOCATION === "immediate-vs-eventual") Object.assign(targets.baseline, { config: targets.ours.config, vars: [...targets.ours.vars] })
if (REVOCATION !== undefined) targets.ours.vars.push("SESSION_REVOCATION:immediate")
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

/**
 * The two slots a target can run in: started first on BENCH_PORT, or second on BENCH_PORT + 1.
 * The slot alone moves the figures: the baseline measured against itself (BENCH_AA=1) came out 2-4 %
 * slower in CPU and req/s in the first slot, run after run. So the load is measured in two
 * sessions, each target in each slot for half of the rounds, and the slot's bias cancels.
 */
const placements = [["ours", "baseline"], ["baseline", "ours"]]
const ports = Object.fromEntries(names.map((n) => [n, { port: targets[n].port, inspectorPort: targets[n].inspectorPort }]))
const slots = names.map((n) => ports[n])

/** A session: both workers started in `order` (first in the first slot), warmed, measured for `rounds` rounds of every kind. */
const measureSession = async (order, rounds, results, tokens) => {
  order.forEach((name, i) => Object.assign(targets[name], slots[i]))
  progress(`starting both workers: ${order.join(" first, then ")}`)
  const running = {}
  for (const name of order) running[name] = await started(name)
  const bases = Object.fromEntries(names.map((n) => [n, running[n].base]))
  // The user signed up in the first session lives on in the persisted D1 and KV.
  for (const name of names) tokens[name] ??= await signUp(bases[name])
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
  for (const kind of kinds) {
    progress(`load: ${kind.name} (${order[0]} first)`)
    const result = results.get(kind)
    const before = AA ? undefined : await kvCounters(bases.ours)
    for (let round = 0; round < rounds; round++) {
      const cpu = {}
      for (const name of round % 2 === 0 ? order : [...order].reverse()) {
        const cpuBefore = treeCpuMs(running[name].child.pid)
        const r = await load(() => kind.make(bases[name], tokens[name]), REQUESTS, CONCURRENCY)
        const cpuAfter = treeCpuMs(running[name].child.pid)
        if (cpuBefore !== undefined && cpuAfter !== undefined) result[name].cpuMs += cpu[name] = cpuAfter - cpuBefore
        result[name].latencies.push(...r.latencies)
        result[name].wall += r.wall
        result[name].rounds.push({ cpuMs: cpu[name], rps: (r.latencies.length / r.wall) * 1000 })
        for (const [s, n] of Object.entries(r.statuses)) result[name].statuses[s] = (result[name].statuses[s] ?? 0) + n
      }
    }
    if (before !== undefined) {
      const after = await kvCounters(bases.ours)
      // A counter that went down means the worker was reloaded (a source file changed) mid-kind.
      if (after.read < before.read || after.write < before.write) result.kv.reloaded = true
      result.kv.requests += rounds * REQUESTS
      for (const operation of ["read", "write"]) result.kv[operation] += after[operation] - before[operation]
      for (const [keyspace, now] of Object.entries(after.keyspaces)) {
        const then = before.keyspaces[keyspace] ?? { read: 0, write: 0 }
        const sum = (result.kv.keyspaces[keyspace] ??= { read: 0, write: 0 })
        sum.read += now.read - then.read
        sum.write += now.write - then.write
      }
    }
  }
  await stopAll()
}

const measureLoad = async () => {
  const results = new Map(kinds.map((kind) => [kind, {
    ...Object.fromEntries(names.map((n) => [n, { latencies: [], wall: 0, statuses: {}, cpuMs: 0, rounds: [] }])),
    kv: { requests: 0, read: 0, write: 0, keyspaces: {}, reloaded: false }
  }]))
  const tokens = {}
  const first = Math.ceil(ROUNDS / 2)
  await measureSession(placements[0], first, results, tokens)
  if (ROUNDS - first > 0) await measureSession(placements[1], ROUNDS - first, results, tokens)
  for (const name of names) Object.assign(targets[name], ports[name])

  const rows = []
  for (const kind of kinds) {
    const result = results.get(kind)
    const { kv } = result
    const perRequest = (n) => (AA || kv.reloaded ? Number.NaN : n / kv.requests)
    // Per keyspace, those the kind touched: e.g. the auth request's buckets apart from its session reads.
    const byKeyspace = Object.entries(kv.keyspaces).flatMap(([name, { read, write }]) =>
      read > 0 || write > 0 ? [`${name} ${perRequest(read).toFixed(2)}/${perRequest(write).toFixed(2)}`] : []
    ).join(", ")
    const summary = (name) => {
      const r = result[name]
      const sorted = [...r.latencies].sort((a, b) => a - b)
      return {
        rps: (r.latencies.length / r.wall) * 1000,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        cpuMicros: treeCpuMs(process.pid) === undefined ? Number.NaN : (r.cpuMs * 1000) / r.latencies.length,
        statuses: r.statuses
      }
    }
    // Round by round, ours against the baseline's round beside it: how far one round strays.
    const paired = (f) => result.ours.rounds.map((r, i) => f(r) / f(result.baseline.rounds[i])).filter(Number.isFinite).sort((a, b) => a - b)
    rows.push({
      kind: kind.name, short: kind.short, ours: summary("ours"), baseline: summary("baseline"),
      kvReads: perRequest(kv.read), kvWrites: perRequest(kv.write), byKeyspace,
      roundRatios: { cpu: paired((r) => r.cpuMs), rps: paired((r) => r.rps) }
    })
  }
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
    `bench${AA ? " (A/A: the baseline against itself)" : ""}` +
      `${REVOCATION === undefined ? "" : REVOCATION === "immediate" ? " (ours with SESSION_REVOCATION=immediate)" : " (\"ours\": ours with SESSION_REVOCATION=immediate; \"baseline\": ours, eventual)"}` +
      `: ${ROUNDS} rounds x ${REQUESTS} requests per kind and target, concurrency ${CONCURRENCY}, alternating, half in each slot; ` +
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
  console.log("| request kind | req/s ours/baseline | p50 ours/baseline | p99 ours/baseline | server CPU ours/baseline | one round's CPU / req/s ratio, lowest-highest | KV reads/req | KV writes/req | KV reads/writes per keyspace |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
  const range = (xs) => (xs.length === 0 ? "-" : `${xs[0].toFixed(2)}-${xs[xs.length - 1].toFixed(2)}`)
  for (const row of rows) {
    console.log(
      `| ${row.kind} | ${ratio(row.ours.rps, row.baseline.rps)} | ${ratio(row.ours.p50, row.baseline.p50)} | ${ratio(row.ours.p99, row.baseline.p99)} | ${ratio(row.ours.cpuMicros, row.baseline.cpuMicros)} | ${range(row.roundRatios.cpu)} / ${range(row.roundRatios.rps)} | ${fmt(row.kvReads)} | ${fmt(row.kvWrites)} | ${row.byKeyspace || "-"} |`
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
  if (process.env.BENCH_KINDS === undefined && !AA && REVOCATION === undefined) {
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
      ` | kv r/w ${per((r) => (AA ? "-" : `${r.kvReads.toFixed(1)}/${r.kvWrites.toFixed(1)}`))}` +
      ` | startup ${ratio(startupMs.ours, startupMs.baseline)} (${fmt(startupMs.ours)}/${fmt(startupMs.baseline)} ms)` +
      ` | cold ${ratio(coldCpu.ours, coldCpu.baseline)} (${fmt(coldCpu.ours)}/${fmt(coldCpu.baseline)} ms)` +
      ` | bundle ${sizes.ours?.gzipKib ?? "-"}/${sizes.baseline?.gzipKib ?? "-"} KiB gzip`
  )
}

runMain(main, async () => {
  await stopAll()
  rmSync(state, { recursive: true, force: true })
})
