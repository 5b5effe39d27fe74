// npm run bench:profile: where each worker spends its CPU, ours and the baseline, from V8's own
// CPU profiler in workerd: the startup (`wrangler check startup`) and, for every request kind of
// `npm run bench`, the worker under load (`wrangler dev`'s inspector, Profiler.start/stop around
// PROFILE_REQUESTS requests). Prints the top entries by self time (function and the module it was
// bundled from) and the self time per package, then the same for a cold start (a fresh isolate's
// first request: the runtime and Better Auth built); writes every .cpuprofile under bench/results/profiles,
// with the dev bundle their load profiles point into (`<target>-dev-bundle.js`)
// (open them in Chrome DevTools or VS Code for the flame graph).
//
//   npm run bench:profile
//   PROFILE_REQUESTS=2000 PROFILE_TOP=25 BENCH_KINDS=me npm run bench:profile
//   BENCH_PORT=8787 BENCH_INSPECTOR_PORT=9229 npm run bench:profile
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  buildBundle, busyMs, devBundleSource, inspect, load, makeTargets, moduleResolver, prepare, selectedKinds, signUp, startServer,
  startupProfile, stopServer, topSelf, runMain
} from "./workers.mjs"

const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 1_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const TOP = Number(process.env.PROFILE_TOP ?? 15)
const out = join("bench", "results", "profiles")
const state = mkdtempSync(join(tmpdir(), "bench-profile-"))
const targets = makeTargets(state)
const names = ["ours", "baseline"]
const servers = []

const print = (title, profile, resolve) => {
  const { totalMs, entries, packages } = topSelf(profile, resolve, TOP)
  console.log("")
  console.log(`### ${title}: ${totalMs.toFixed(1)} ms non-idle`)
  console.log("")
  console.log("| self ms | share | function | module |")
  console.log("| ---: | ---: | --- | --- |")
  for (const e of entries) console.log(`| ${e.ms.toFixed(1)} | ${(e.share * 100).toFixed(1)}% | ${e.name} | ${e.where} |`)
  console.log("")
  console.log(`by package: ${packages.slice(0, 8).map((p) => `${p.name} ${(p.share * 100).toFixed(0)}%`).join(", ")}`)
}

process.on("SIGINT", () => {
  Promise.all(servers.map(stopServer)).finally(() => {
    rmSync(state, { recursive: true, force: true })
    process.exit(130)
  })
})

const main = async () => {
  mkdirSync(out, { recursive: true })
  const sources = {}
  for (const name of names) {
    const { bundle, source } = buildBundle(targets[name], join(state, "build"))
    sources[name] = source
    const profile = startupProfile(targets[name], join(state, "build"), bundle, 0)
    writeFileSync(join(out, `${name}-startup.cpuprofile`), JSON.stringify(profile))
    print(`${name}: startup (wrangler check startup)`, profile, moduleResolver(source))
  }
  for (const name of names) prepare(targets[name])
  for (const name of names) servers.push(await startServer(targets[name]))
  const devSources = { ours: devBundleSource(targets.ours), baseline: devBundleSource(targets.baseline) }
  // The bundle the load profiles' frames point into (wrangler removes it when it stops), to read them later.
  for (const name of names) if (devSources[name] !== undefined) writeFileSync(join(out, `${name}-dev-bundle.js`), devSources[name])
  const bases = Object.fromEntries(servers.map((s) => [s.target.name, s.base]))
  const tokens = { ours: await signUp(bases.ours), baseline: await signUp(bases.baseline) }
  const inspectors = { ours: await inspect(targets.ours), baseline: await inspect(targets.baseline) }
  for (const kind of selectedKinds()) {
    for (const name of names) {
      const make = () => kind.make(bases[name], tokens[name])
      await load(make, Math.min(REQUESTS, 300), CONCURRENCY) // warm: JIT, caches
      const { value, profile } = await inspectors[name].profile(() => load(make, REQUESTS, CONCURRENCY))
      writeFileSync(join(out, `${name}-${kind.short}.cpuprofile`), JSON.stringify(profile))
      const perRequest = (busyMs(profile) * 1000) / REQUESTS
      print(`${name}: ${kind.name}, ${REQUESTS} requests (${perRequest.toFixed(0)} µs/request non-idle; statuses ${JSON.stringify(value.statuses)})`, profile, moduleResolver(devSources[name]))
    }
  }
  for (const i of Object.values(inspectors)) i.close()
  await Promise.all(servers.splice(0).map(stopServer))

  // Cold start: a fresh isolate's first request, GET /api/me with the token signed up above.
  for (const name of names) {
    const server = await startServer(targets[name])
    servers.push(server)
    const source = devBundleSource(targets[name])
    const inspector = await inspect(targets[name])
    const { value, profile } = await inspector.profile(async () => {
      const response = await fetch(`${server.base}/api/me`, { headers: { authorization: `Bearer ${tokens[name]}` } })
      await response.arrayBuffer()
      return response.status
    })
    inspector.close()
    writeFileSync(join(out, `${name}-cold.cpuprofile`), JSON.stringify(profile))
    print(`${name}: cold start, the first GET /api/me in a fresh isolate (status ${value})`, profile, moduleResolver(source))
    await stopServer(servers.pop())
  }
}

runMain(main, async () => {
  await Promise.all(servers.map(stopServer))
  rmSync(state, { recursive: true, force: true })
})
