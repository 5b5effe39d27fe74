// What `npm run bench` and `npm run bench:profile` share: the two targets (this project's worker
// and the hand-written baseline), starting and stopping them under `wrangler dev`, the request
// kinds, the load loop, the startup profile (`wrangler check startup`) and the inspector.
//
// Ports: BENCH_PORT (default 8787) serves ours and BENCH_PORT + 1 the baseline;
// BENCH_INSPECTOR_PORT (default 9229) and + 1 are their inspectors.
import { spawn, execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"

export const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" }
const wrangler = join("node_modules", ".bin", "wrangler")
const secret = "benchmark-secret-that-is-at-least-32-characters"
const PORT = Number(process.env.BENCH_PORT ?? 8787)
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9229)

/** The two workers; `persist` is filled in by `makeTargets` (a directory per run). */
export const makeTargets = (state) => ({
  ours: { name: "ours", port: PORT, inspectorPort: INSPECTOR_PORT, config: "wrangler.toml", persist: join(state, "ours"), vars: ["METRICS_ENABLED:true", "MAILER:outbox"] },
  baseline: { name: "baseline", port: PORT + 1, inspectorPort: INSPECTOR_PORT + 1, config: "bench/baseline/wrangler.toml", persist: join(state, "baseline"), vars: [] }
})

export const run = (args) => execFileSync(wrangler, args, { env, stdio: ["ignore", "pipe", "pipe"] }).toString()

/** The D1 schema and the analytics rows, once per target and run. */
export const prepare = (t) => {
  mkdirSync(t.persist, { recursive: true })
  run(["d1", "migrations", "apply", "DB", "--local", "--config", t.config, "--persist-to", t.persist])
  run(["d1", "execute", "DB", "--local", "--config", t.config, "--persist-to", t.persist, "--file", "seed/analytics.sql"])
}

/**
 * `wrangler dev` for `t`, resolved once wrangler says it is ready and its inspector lists the
 * worker, WITHOUT sending the worker a request: the first request is the caller's (cold start).
 * Its own process group, so `stopServer` can end wrangler, its esbuild and its workerd together.
 */
export const startServer = async (t) => {
  const child = spawn(wrangler, [
    "dev", "--config", t.config, "--port", String(t.port), "--inspector-port", String(t.inspectorPort),
    "--persist-to", t.persist, "--log-level", "info", "--show-interactive-dev-session=false",
    "--var", `BETTER_AUTH_SECRET:${secret}`, "--var", `BETTER_AUTH_URL:http://localhost:${t.port}`,
    ...t.vars.flatMap((v) => ["--var", v])
  ], { env, stdio: ["ignore", "pipe", "pipe"], detached: true })
  let output = ""
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
  const ready = new Promise((resolve) => {
    const onData = (chunk) => {
      output += chunk
      if (/Ready on http/.test(output)) resolve()
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
  })
  const server = { target: t, child, exited, base: `http://localhost:${t.port}`, output: () => output }
  const outcome = await Promise.race([ready.then(() => "ready"), exited.then(() => "exited"), sleep(120_000).then(() => "timeout")])
  if (outcome !== "ready") {
    await stopServer(server)
    throw new Error(`${t.name}: wrangler dev ${outcome} before it was ready:\n${output}`)
  }
  for (let i = 0; i < 120; i++) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${t.inspectorPort}/json`, { signal: AbortSignal.timeout(2_000) })).json()
      if (targets.length > 0) return server
    } catch {
      // The inspector proxy is not listening yet.
    }
    await sleep(250)
  }
  await stopServer(server)
  throw new Error(`${t.name}: no inspector on ${t.inspectorPort}`)
}

/**
 * Ends a `wrangler dev` and waits for it. SIGINT is wrangler's own shutdown path: it disposes its
 * esbuild watch context and workerd before exiting. Killing wrangler while esbuild is mid-rebuild
 * (the old bench did, from a process `exit` handler, right after `wrangler deploy` had touched the
 * files the dev build watches) leaves esbuild waiting on a parent that is gone: its
 * "all goroutines are asleep - deadlock!" trace. A group kill is the fallback if it hangs.
 */
export const stopServer = async (server) => {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  const group = -server.child.pid
  server.child.kill("SIGINT")
  const outcome = await Promise.race([server.exited.then(() => "exited"), sleep(15_000).then(() => "timeout")])
  if (outcome === "timeout") {
    try {
      process.kill(group, "SIGKILL")
    } catch {
      // Already gone.
    }
    await server.exited
  }
}

/**
 * Signs the bench user up and in: the session token. Ours answers a sign-up without a session (it
 * does not reveal whether the address was free), so both workers are signed in separately.
 */
export const signUp = async (base) => {
  const post = (path, body) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": "198.18.0.1", origin: base },
      body: JSON.stringify(body)
    })
  const signedUp = await post("/api/auth/sign-up/email", { email: "bench@example.com", password: "correct-horse-battery", name: "Bench" })
  if (signedUp.status !== 200) throw new Error(`sign-up on ${base}: ${signedUp.status} ${await signedUp.text()}`)
  const signedIn = await post("/api/auth/sign-in/email", { email: "bench@example.com", password: "correct-horse-battery" })
  if (signedIn.status !== 200) throw new Error(`sign-in on ${base}: ${signedIn.status} ${await signedIn.text()}`)
  return (await signedIn.json()).token
}

let ipCounter = 0
const nextIp = () => {
  ipCounter++
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}

/** The request kinds; `short` names them in the summary line. */
export const allKinds = [
  { name: "GET /health (no I/O: the framework's floor)", short: "health", make: (base) => [`${base}/health`, {}] },
  { name: "GET /api/me (Bearer)", short: "me", make: (base, token) => [`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }] },
  {
    name: "cached action hit",
    short: "cached",
    make: (base, token) => [`${base}/api/actions/analytics-summary?days=7`, { headers: { authorization: `Bearer ${token}` } }]
  },
  {
    name: "rate-limited auth request",
    short: "auth",
    make: (base, token) => [`${base}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": nextIp() } }]
  }
]

/** The kinds named by BENCH_KINDS, a comma-separated list of short names or parts of names (all by default). */
export const selectedKinds = () => {
  const only = process.env.BENCH_KINDS?.split(",").map((s) => s.trim()).filter((s) => s !== "")
  return allKinds.filter((k) => only === undefined || only.some((o) => k.name.includes(o) || k.short === o))
}

/** `count` requests at `concurrency`; every latency in ms, the wall time, and the statuses. */
export const load = async (makeRequest, count, concurrency) => {
  const latencies = []
  const statuses = {}
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
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

/**
 * CPU time (ms, user + system) used so far by a process and all its descendants: wrangler's proxy
 * and the workerd processes serving the worker. Linux only (/proc); undefined elsewhere.
 */
export const treeCpuMs = (rootPid) => {
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

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * A Chrome DevTools Protocol session with the worker, through the inspector `wrangler dev`
 * exposes. Node 20's WebSocket sits behind --experimental-websocket (the npm scripts pass it);
 * the inspector wants an Origin header, which undici's WebSocket takes as an option.
 *
 * workerd acknowledges a command at once by echoing it, and runs it on the isolate's thread when
 * that thread next takes the isolate: before the next request's code runs. So Profiler.start is
 * in force from the next request on (the cold start's first request included), and the answer to
 * Profiler.stop may wait for a request: `poke` (a request the worker answers 404) gives it one.
 */
export const inspect = async (t) => {
  if (typeof WebSocket === "undefined") throw new Error("no WebSocket: run node with --experimental-websocket (Node 20)")
  const socket = new WebSocket(`ws://127.0.0.1:${t.inspectorPort}/ws`, { headers: { origin: "http://localhost" } })
  await new Promise((resolve, reject) => {
    socket.onopen = resolve
    socket.onerror = (event) => reject(new Error(`inspector ${t.inspectorPort}: ${event.message}`))
  })
  let id = 0
  const pending = new Map()
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data)
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    const acknowledged = message.result === undefined && message.error === undefined
    if (acknowledged && waiter.needResult) return
    pending.delete(message.id)
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`))
    else waiter.resolve(message.result)
  }
  const send = (method, params = {}, needResult = false) =>
    new Promise((resolve, reject) => {
      const n = ++id
      pending.set(n, { resolve, reject, method, needResult })
      socket.send(JSON.stringify({ id: n, method, params }))
    })
  const poke = async () => {
    const response = await fetch(`http://localhost:${t.port}/bench-inspector-poke`)
    await response.arrayBuffer()
  }
  await send("Profiler.enable")
  // 100 µs, as `wrangler check startup` samples: fine enough for sub-millisecond requests.
  await send("Profiler.setSamplingInterval", { interval: 100 })
  return {
    /** The CPU profile of whatever `during` makes the worker do. */
    profile: async (during) => {
      await send("Profiler.start")
      const value = await during()
      const stopped = send("Profiler.stop", {}, true)
      let answered = false
      stopped.finally(() => (answered = true)).catch(() => {})
      for (let i = 0; i < 60 && !answered; i++) {
        await Promise.race([stopped, sleep(1_000)])
        if (!answered) await poke()
      }
      const { profile } = await stopped
      return { value, profile }
    },
    close: () => socket.close()
  }
}

const IDLE = new Set(["(idle)"])

/** Milliseconds of the samples that were not idle: the CPU the worker's thread spent. */
export const busyMs = (profile) => {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  let micros = 0
  profile.samples.forEach((sample, i) => {
    if (!IDLE.has(nodes.get(sample).callFrame.functionName)) micros += profile.timeDeltas[i] ?? 0
  })
  return micros / 1000
}

/**
 * Which module of a bundle each line belongs to: esbuild (unminified) writes `// path` before
 * every module it inlines.
 */
export const moduleMap = (bundleText) => {
  const starts = []
  bundleText.split("\n").forEach((line, i) => {
    // Paths are relative to the config's directory (the baseline's is bench/baseline).
    const m = /^\/\/ ([\w@.\/-]+\.[cm]?[jt]sx?)$/.exec(line)
    if (m) starts.push({ line: i, module: m[1].replace(/^(\.\.\/)*node_modules\//, "").replace(/\/dist\/(esm|cjs|dist)\//, "/") })
  })
  return (line) => {
    let lo = 0
    let hi = starts.length - 1
    let found = "(bundle)"
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid].line <= line) (found = starts[mid].module), (lo = mid + 1)
      else hi = mid - 1
    }
    return found
  }
}

/**
 * The bundle a running `wrangler dev` of `t` serves (the newest .wrangler/tmp/dev-* beside its
 * config): profiles name it only by its entry's file name.
 */
export const devBundleSource = (t) => {
  const tmp = join(dirname(t.config), ".wrangler", "tmp")
  const newest = readdirSync(tmp)
    .filter((d) => d.startsWith("dev-"))
    .flatMap((d) => ["main.js", "worker.js"].map((name) => join(tmp, d, name)).filter((file) => existsSync(file)))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  return newest === undefined ? undefined : readFileSync(newest, "utf8")
}

/**
 * Names the module of a bundled frame: reads the bundle the frame's url points at (a dev build
 * under .wrangler/tmp) or, when that is not a file here (`wrangler check startup` builds in a
 * temporary directory), `fallbackSource`.
 */
export const moduleResolver = (fallbackSource) => {
  const maps = new Map()
  return (url, line) => {
    if (!maps.has(url)) {
      const path = url.replace(/^file:\/\//, "")
      maps.set(url, existsSync(path) ? moduleMap(readFileSync(path, "utf8")) : fallbackSource ? moduleMap(fallbackSource) : () => "(bundle)")
    }
    return maps.get(url)(line)
  }
}

/**
 * The entries with the most self time, as rows of { ms, share, name, where }, and the self time
 * per package (effect, better-auth, src/http, ...). `resolve(url, line)` names a bundled frame's
 * module (see `moduleResolver`).
 */
export const topSelf = (profile, resolve = () => "", count = 20) => {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  profile.samples.forEach((sample, i) => {
    const node = nodes.get(sample)
    if (IDLE.has(node.callFrame.functionName)) return
    const delta = profile.timeDeltas[i] ?? 0
    total += delta
    self.set(node.callFrame, (self.get(node.callFrame) ?? 0) + delta)
  })
  const byEntry = new Map()
  const byPackage = new Map()
  for (const [frame, micros] of self) {
    const bundled = /(worker|main)\.js$/.test(frame.url)
    const where = bundled ? resolve(frame.url, frame.lineNumber) : frame.url || "(native)"
    const name = frame.functionName || "(anonymous)"
    const key = `${name}\u0000${where}`
    byEntry.set(key, (byEntry.get(key) ?? 0) + micros)
    const pkg = !bundled
      ? frame.url ? "runtime (workerd / node compat)" : name
      : /^(src|bench)\//.test(where) ? where.split("/").slice(0, 2).join("/")
      : where.startsWith("@") ? where.split("/").slice(0, 2).join("/")
      : where.split("/")[0]
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
  }
  const rows = (map) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, micros]) => {
      const [name, where] = key.split("\u0000")
      return { ms: micros / 1000, share: total ? micros / total : 0, name, where: where ?? "" }
    })
  return { totalMs: total / 1000, entries: rows(byEntry), packages: rows(byPackage) }
}

/**
 * The bundle `wrangler deploy` would upload (unminified, as `wrangler check startup` builds it) and
 * its entry's JavaScript, which names the modules in a profile (see `moduleMap`).
 */
export const buildBundle = (t, dir) => {
  mkdirSync(dir, { recursive: true })
  const bundle = join(dir, `${t.name}.bundle`)
  run(["deploy", "--dry-run", "--config", t.config, "--outfile", bundle, "--outdir", join(dir, `${t.name}-dist`)])
  // The entry keeps its file name (`main.js` for src/http/main.ts, `worker.js` for the baseline).
  const entry = /^main\s*=\s*"([^"]+)"/m.exec(readFileSync(t.config, "utf8"))[1].replace(/^.*\//, "").replace(/\.ts$/, ".js")
  return { bundle, source: readFileSync(join(dir, `${t.name}-dist`, entry), "utf8") }
}

/** One `wrangler check startup` of a built bundle: the profile of the worker's startup. */
export const startupProfile = (t, dir, bundle, i) => {
  const outfile = join(dir, `${t.name}-startup-${i}.cpuprofile`)
  run(["check", "startup", "--config", t.config, "--worker", bundle, "--outfile", outfile])
  return JSON.parse(readFileSync(outfile, "utf8"))
}

/** Minified bundle size as `wrangler deploy --dry-run --minify` reports it, in KiB. */
export const bundleSize = (t, dir) => {
  const text = run(["deploy", "--dry-run", "--minify", "--config", t.config, "--outdir", join(dir, `${t.name}-min`)])
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text)
  return match ? { kib: Number(match[1]), gzipKib: Number(match[2]) } : undefined
}

/** Runs a bench script's `main`, then `cleanup` whatever happened, and exits 0 or 1. */
export const runMain = (main, cleanup) =>
  main()
    .then(
      () => 0,
      (error) => {
        console.error(error)
        return 1
      }
    )
    .then(async (code) => {
      await cleanup()
      process.exit(code)
    })
