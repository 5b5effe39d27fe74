// npm run load: thousands of requests at high concurrency against a running worker
// (`npm run dev` in another terminal), mixing users, routes and junk. Fails (exit 1) on any 5xx or
// on any response that carries another request's user.
//
//   BASE=http://localhost:8787 LOAD_REQUESTS=5000 LOAD_CONCURRENCY=100 LOAD_USERS=20 npm run load
const BASE = process.env.BASE ?? "http://localhost:8787"
const TOTAL = Number(process.env.LOAD_REQUESTS ?? 5000)
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 100)
const USERS = Number(process.env.LOAD_USERS ?? 20)
const run = Date.now().toString(36)

let ip = 0
const nextIp = () => `10.${200 + ((++ip >> 16) & 31)}.${(ip >> 8) & 255}.${ip & 255}`

const users = []
for (let i = 0; i < USERS; i++) {
  const email = `load-${run}-${i}@example.com`
  const response = await fetch(`${BASE}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": nextIp(), origin: BASE },
    body: JSON.stringify({ email, password: "correct-horse-battery", name: `Load ${i}` })
  })
  if (response.status !== 200) throw new Error(`sign-up ${i}: ${response.status} ${await response.text()}`)
  // A sign-up opens no session: sign in.
  const signedIn = await fetch(`${BASE}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": nextIp(), origin: BASE },
    body: JSON.stringify({ email, password: "correct-horse-battery" })
  })
  if (signedIn.status !== 200) throw new Error(`sign-in ${i}: ${signedIn.status} ${await signedIn.text()}`)
  users.push({ email, token: (await signedIn.json()).token })
}

const kinds = [
  (u) => ({ url: "/api/me", headers: { authorization: `Bearer ${u.token}` }, check: (b) => b.user?.email === u.email }),
  (u) => ({ url: "/api/auth/get-session", headers: { authorization: `Bearer ${u.token}`, "cf-connecting-ip": nextIp() }, check: (b) => b?.user?.email === u.email }),
  (u) => ({ url: "/api/actions/analytics-summary?days=7", headers: { authorization: `Bearer ${u.token}` }, check: (b) => typeof b.totalViews === "number" }),
  () => ({ url: "/api/me", headers: { authorization: "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, expect: 401 }),
  // Authentication comes before input decoding: a bad parameter is a 400 for a signed-in user (a 401 without a token).
  (u) => ({ url: "/api/actions/analytics-summary?days=-1", headers: { authorization: `Bearer ${u.token}` }, expect: 400 }),
  () => ({ url: "/%2e%2e/%ZZ", headers: {}, expect: 404 })
]

const statuses = {}
let fiveHundreds = 0
let wrongUser = 0
let unexpected = 0
let next = 0
const latencies = []
const started = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < TOTAL) {
    const n = next++
    const user = users[n % users.length]
    const spec = kinds[n % kinds.length](user)
    const t0 = performance.now()
    const response = await fetch(`${BASE}${spec.url}`, { headers: spec.headers })
    const text = await response.text()
    latencies.push(performance.now() - t0)
    statuses[response.status] = (statuses[response.status] ?? 0) + 1
    if (response.status >= 500) fiveHundreds++
    if (spec.check && response.status === 200 && !spec.check(JSON.parse(text))) wrongUser++
    if (spec.expect && response.status !== spec.expect) unexpected++
    if (spec.check && response.status !== 200) unexpected++
  }
}))
const seconds = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1)
console.log(JSON.stringify({
  requests: TOTAL,
  concurrency: CONCURRENCY,
  users: USERS,
  seconds: Number(seconds.toFixed(1)),
  requestsPerSecond: Math.round(TOTAL / seconds),
  p50ms: Number(p(0.5)),
  p99ms: Number(p(0.99)),
  statuses,
  fiveHundreds,
  wrongUser,
  unexpectedStatus: unexpected
}, null, 2))
process.exit(fiveHundreds === 0 && wrongUser === 0 && unexpected === 0 ? 0 : 1)
