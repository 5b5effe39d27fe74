// npm run bench:enumeration: do the routes that could tell whether an address has an account answer
// alike for one that has (known) and one that has not (unknown)? In body, headers and time.
//
// One `wrangler dev` of this worker (bench/workers.mjs), with a state directory of its own and
// MAILER=outbox. First it signs up the known accounts (unverified, password known). Then, route by
// route, it sends ENUM_SAMPLES pairs of requests, one for a known address and one for an unknown
// one of the same length, alternating which goes first, one at a time, each from a client address
// of its own (`CF-Connecting-IP`), and each known account at most once per route (the mail budget
// is 5 a minute and 20 an hour per mailbox; the password budget 5 a minute per account):
//
//   password reset     POST /api/auth/request-password-reset   { email, redirectTo }
//   magic link         POST /api/auth/sign-in/magic-link       { email }
//   sign-up            POST /api/auth/sign-up/email            { email, password, name }   (unknown: a new account)
//   verification mail  POST /api/auth/send-verification-email  { email }                   (no session)
//   password sign-in   POST /api/auth/sign-in/email            { email, wrong password }
//
// For each route: the statuses; the median, p90 and mean latency of both kinds as the client sees
// it, the difference of the medians with a bootstrap 95 % interval (an interval that excludes 0 is
// a measurable difference); the server's CPU per request (wrangler's proxy and workerd, from /proc);
// whether the bodies are identical once the values that differ per request anyway are masked (ids
// and times keep their shape: the same characters classes and length), whether the header names are
// identical, and which header values differ (date and request id aside; the rate-limit reset times
// `t=` masked).
//
// Then the cost of one password hash in workerd: ENUM_HASH_SAMPLES sign-ins with a wrong password
// for known accounts (Better Auth looks the account up and checks the password: one scrypt) against
// as many to the same route, for the same accounts, whose password is one character longer than
// Better Auth hashes (129: refused before the look-up, nothing hashed), alternating; server CPU per
// request of each from /proc (10 ms ticks, summed over every request of the kind), and the client's
// median latency. The difference is the hash (plus the look-up and the budgets it skips).
//
// Not a timed unit test: figures for the docs (docs/security.md). The machine should be otherwise
// idle (no test suite running): a busy machine widens the intervals, not the medians' difference.
//
//   npm run bench:enumeration                                  # 60 pairs per route, 60 of each for the hash
//   ENUM_SAMPLES=20 ENUM_HASH_SAMPLES=20 npm run bench:enumeration   # quick
//   ENUM_ROUTES=reset,sign-up npm run bench:enumeration        # some routes only (short names below)
//   ENUM_JSON=out.json npm run bench:enumeration               # also every sample, as JSON
import { createServer } from "node:net"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeTargets, median, prepare, runMain, startServer, stopServer, treeCpuMs } from "./workers.mjs"

const SAMPLES = Number(process.env.ENUM_SAMPLES ?? 60)
const HASH_SAMPLES = Number(process.env.ENUM_HASH_SAMPLES ?? 60)
const PASSWORD = "correct-horse-battery"
const WRONG = "wrong-horse-battery!!"

const progress = (message) => process.stderr.write(`enumeration: ${message}\n`)

/** A port nobody listens on now. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

let ipCounter = 0
/** A client address never used before in this run (198.18.0.0/15, benchmarking space). */
const nextIp = () => {
  ipCounter++
  return `198.${18 + ((ipCounter >> 16) & 1)}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}

/** Addresses of one length for both kinds, so no length shows through (`k` known, `u` unknown). */
const run = Date.now().toString(36)
const address = (kind, i) => `${kind}${String(i).padStart(5, "0")}-${run}@example.com`

const routes = [
  { short: "reset", name: "password reset", path: "/api/auth/request-password-reset", body: (email) => ({ email, redirectTo: "/reset" }) },
  { short: "magic-link", name: "magic link", path: "/api/auth/sign-in/magic-link", body: (email) => ({ email }) },
  { short: "sign-up", name: "sign-up", path: "/api/auth/sign-up/email", body: (email) => ({ email, password: PASSWORD, name: "Someone" }) },
  { short: "verification", name: "verification mail", path: "/api/auth/send-verification-email", body: (email) => ({ email }) },
  { short: "sign-in", name: "password sign-in", path: "/api/auth/sign-in/email", body: (email) => ({ email, password: WRONG }) }
]
const only = process.env.ENUM_ROUTES?.split(",").map((s) => s.trim()).filter((s) => s !== "")
const selected = routes.filter((r) => only === undefined || only.includes(r.short))

/** One request from a client of its own: status, latency (ms, to the last byte), headers, body, server CPU. */
const post = async (server, path, body) => {
  const cpuBefore = treeCpuMs(server.child.pid)
  const t0 = performance.now()
  const response = await fetch(`${server.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": nextIp(), origin: server.base },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  const ms = performance.now() - t0
  const cpuAfter = treeCpuMs(server.child.pid)
  return { status: response.status, ms, headers: [...response.headers], text, cpuMs: cpuAfter - cpuBefore }
}

/**
 * A body with what differs per request anyway masked: ids keep their length and punctuation (every
 * letter and digit `x`), times and addresses their shape (letters `a`, digits `0`), so a made-up id
 * of another length or format still shows.
 * Addresses are the request's own (one length for both kinds).
 */
const masked = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), (key, value) =>
      typeof value !== "string" ? value
      : key === "id" ? value.replace(/[A-Za-z0-9]/g, "x")
      : ["createdAt", "updatedAt", "email"].includes(key) ? value.replace(/[A-Za-z]/g, "a").replace(/[0-9]/g, "0")
      : value)
  } catch {
    return text
  }
}

/** Header values with what differs per request anyway left out (date, request id) or masked (reset times). */
const ignoredHeaders = new Set(["date", "x-request-id", "cf-ray"])
const headerValue = (name, value) => (name === "ratelimit" ? value.replace(/;t=\d+/g, ";t=*") : value)

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/** A 95 % bootstrap interval for median(a) - median(b) (a fixed seed: the same data, the same interval). */
const medianDifferenceInterval = (a, b, resamples = 2000) => {
  let seed = 1
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const resample = (xs) => Array.from(xs, () => xs[Math.floor(random() * xs.length)])
  const diffs = Array.from({ length: resamples }, () => median(resample(a)) - median(resample(b))).sort((x, y) => x - y)
  return [diffs[Math.floor(resamples * 0.025)], diffs[Math.floor(resamples * 0.975)]]
}

const distinct = (xs) => [...new Set(xs)]
const setsEqual = (a, b) => a.length === b.length && a.every((x) => b.includes(x))
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(2) : "-")

const compare = (route, samples) => {
  const of = (kind) => samples.filter((s) => s.kind === kind)
  const known = of("known")
  const unknown = of("unknown")
  const latency = (xs) => xs.map((s) => s.ms)
  const statuses = (xs) => Object.entries(xs.reduce((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {})).map(([s, n]) => `${s}x${n}`).join(" ")
  const bodies = (xs) => distinct(xs.map((s) => masked(s.text)))
  const names = (xs) => distinct(xs.map((s) => s.headers.map(([n]) => n).sort().join(",")))
  const valuesOf = (xs, name) => distinct(xs.map((s) => headerValue(name, s.headers.find(([n]) => n === name)?.[1] ?? "(absent)")))
  const allNames = distinct(samples.flatMap((s) => s.headers.map(([n]) => n))).filter((n) => !ignoredHeaders.has(n))
  const differingValues = allNames.flatMap((name) => {
    const k = valuesOf(known, name)
    const u = valuesOf(unknown, name)
    return setsEqual(k, u) ? [] : [{ name, known: k, unknown: u }]
  })
  const [low, high] = medianDifferenceInterval(latency(known), latency(unknown))
  return {
    route: route.name,
    path: route.path,
    pairs: known.length,
    statuses: { known: statuses(known), unknown: statuses(unknown) },
    known: { median: median(latency(known)), p90: percentile(latency(known), 90), mean: mean(latency(known)), cpuMs: mean(known.map((s) => s.cpuMs)) },
    unknown: { median: median(latency(unknown)), p90: percentile(latency(unknown), 90), mean: mean(latency(unknown)), cpuMs: mean(unknown.map((s) => s.cpuMs)) },
    difference: { median: median(latency(known)) - median(latency(unknown)), interval: [low, high], measurable: low > 0 || high < 0 },
    bodiesIdentical: setsEqual(bodies(known), bodies(unknown)) && bodies(known).length === 1,
    bodies: { known: bodies(known), unknown: bodies(unknown) },
    headerNamesIdentical: setsEqual(names(known), names(unknown)),
    headerNames: { known: names(known), unknown: names(unknown) },
    differingValues
  }
}

const state = mkdtempSync(join(tmpdir(), "bench-enumeration-"))
let server

const main = async () => {
  const target = { ...makeTargets(state).ours, port: await freePort(), inspectorPort: await freePort() }
  progress(`preparing D1 in ${state}`)
  prepare(target)
  progress(`starting wrangler dev on ${target.port}`)
  server = await startServer(target)
  const health = await fetch(`${server.base}/health`)
  if (health.status !== 200) throw new Error(`/health answered ${health.status}`)

  // Warm-up: Better Auth is built by its first request, and every route's code path compiled,
  // with addresses that are not measured.
  for (const route of routes) {
    for (let i = 0; i < 3; i++) await post(server, route.path, route.body(address("w", i * 10 + routes.indexOf(route))))
  }

  // The known accounts: twice as many as the pairs of a route, so that over the four mail routes
  // each mailbox gets at most 2 of them beside its sign-up (3 < 5 a minute), and each account at
  // most 1 sign-in beside its sign-up's place (2 < 5 a minute in the password budget).
  const accounts = Math.max(2 * SAMPLES, HASH_SAMPLES)
  progress(`signing up ${accounts} known accounts`)
  for (let i = 0; i < accounts; i++) {
    const r = await post(server, "/api/auth/sign-up/email", { email: address("k", i), password: PASSWORD, name: "Someone" })
    if (r.status !== 200) throw new Error(`sign-up of a known account: ${r.status} ${r.text}`)
  }

  const samples = new Map(selected.map((r) => [r, []]))
  let unknownCounter = 0
  for (const [index, route] of selected.entries()) {
    progress(`${route.name}: ${SAMPLES} pairs`)
    // Route n uses the known accounts [n * SAMPLES, (n + 1) * SAMPLES) modulo their number.
    const offset = (index * SAMPLES) % accounts
    for (let i = 0; i < SAMPLES; i++) {
      const pair = [
        { kind: "known", email: address("k", (offset + i) % accounts) },
        { kind: "unknown", email: address("u", unknownCounter++) }
      ]
      for (const { kind, email } of i % 2 === 0 ? pair : pair.reverse()) {
        samples.get(route).push({ kind, ...(await post(server, route.path, route.body(email))) })
      }
    }
  }
  const results = selected.map((route) => compare(route, samples.get(route)))

  // The cost of one hash: the same route and accounts, a wrong password (hashed) or one too long (not).
  progress(`password hash: ${HASH_SAMPLES} pairs`)
  const tooLong = "x".repeat(129)
  const hash = { hashed: [], refused: [] }
  for (let i = 0; i < HASH_SAMPLES; i++) {
    // Accounts from the other end of the list, away from those the sign-in route just used.
    const email = address("k", accounts - 1 - i)
    const pair = [["hashed", WRONG], ["refused", tooLong]]
    for (const [kind, password] of i % 2 === 0 ? pair : pair.reverse()) {
      hash[kind].push(await post(server, "/api/auth/sign-in/email", { email, password }))
    }
  }
  const hashSummary = Object.fromEntries(Object.entries(hash).map(([kind, xs]) => [kind, {
    statuses: distinct(xs.map((s) => s.status)),
    cpuMs: mean(xs.map((s) => s.cpuMs)),
    median: median(xs.map((s) => s.ms))
  }]))

  // The report.
  console.log(`\nEnumeration: ${SAMPLES} pairs per route (known vs unknown address, alternating), one request at a time, latency in ms as the client sees it`)
  console.log("| route | statuses (known / unknown) | known median / p90 | unknown median / p90 | difference of medians [95 % interval] | server CPU per request, known / unknown | bodies identical | header names identical | header values that differ |")
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  for (const r of results) {
    const differing = r.differingValues.length === 0 ? "none" : r.differingValues.map((d) => d.name).join(", ")
    console.log(
      `| ${r.route} | ${r.statuses.known} / ${r.statuses.unknown} | ${fmt(r.known.median)} / ${fmt(r.known.p90)} | ${fmt(r.unknown.median)} / ${fmt(r.unknown.p90)} | ` +
        `${r.difference.median >= 0 ? "+" : ""}${fmt(r.difference.median)} [${fmt(r.difference.interval[0])}, ${fmt(r.difference.interval[1])}]${r.difference.measurable ? " measurable" : ""} | ` +
        `${fmt(r.known.cpuMs)} / ${fmt(r.unknown.cpuMs)} | ${r.bodiesIdentical ? "yes" : "NO"} | ${r.headerNamesIdentical ? "yes" : "NO"} | ${differing} |`
    )
  }
  for (const r of results) {
    if (!r.bodiesIdentical) console.log(`\n${r.route}: bodies\n  known:   ${r.bodies.known.join("\n           ")}\n  unknown: ${r.bodies.unknown.join("\n           ")}`)
    if (!r.headerNamesIdentical) console.log(`\n${r.route}: header names\n  known:   ${r.headerNames.known.join("\n           ")}\n  unknown: ${r.headerNames.unknown.join("\n           ")}`)
    for (const d of r.differingValues) {
      console.log(`\n${r.route}: ${d.name}\n  known:   ${d.known.slice(0, 6).join("\n           ")}\n  unknown: ${d.unknown.slice(0, 6).join("\n           ")}`)
    }
  }
  const { hashed, refused } = hashSummary
  if (HASH_SAMPLES > 0) printHash(hashed, refused)

  if (process.env.ENUM_JSON) {
    writeFileSync(process.env.ENUM_JSON, JSON.stringify({ results, hash: hashSummary, samples: Object.fromEntries([...samples].map(([r, xs]) => [r.short, xs])) }, null, 2))
  }
}

const printHash = (hashed, refused) => {
  console.log(`\nPassword hash: ${HASH_SAMPLES} sign-ins each, known accounts, server CPU per request (wrangler's proxy and workerd, /proc)`)
  console.log("| request | statuses | server CPU per request | client median |")
  console.log("| --- | --- | --- | --- |")
  console.log(`| wrong password (one scrypt) | ${hashed.statuses.join(" ")} | ${fmt(hashed.cpuMs)} ms | ${fmt(hashed.median)} ms |`)
  console.log(`| password of 129 characters (refused before the look-up) | ${refused.statuses.join(" ")} | ${fmt(refused.cpuMs)} ms | ${fmt(refused.median)} ms |`)
  console.log(`| difference: one hash | | ${fmt(hashed.cpuMs - refused.cpuMs)} ms | ${fmt(hashed.median - refused.median)} ms |`)
}

runMain(main, async () => {
  if (server !== undefined) await stopServer(server)
  rmSync(state, { recursive: true, force: true })
})
