/**
 * The routes that could tell whether an address has an account do the same storage work before
 * answering for a known and an unknown address: as many D1 reads and writes, as many KV reads and
 * writes (the rate limiter's buckets aside: they count per client and mailbox, whatever the account).
 * What the time of an answer is made of, counted rather than timed; `npm run bench:enumeration`
 * measures the times themselves (docs/security.md).
 */
import { env } from "cloudflare:test"
import { Either } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { makeWebHandler } from "../../src/http/App.js"
import { readConfig } from "../../src/http/Config.js"
import { freshIp, origin, signUp } from "./helpers.js"
import { mailTo } from "./outbox.js"

type Counts = { d1Reads: number; d1Writes: number; kvReads: number; kvWrites: number }
const none = (): Counts => ({ d1Reads: 0, d1Writes: 0, kvReads: 0, kvWrites: 0 })

let counts = none()

/** D1 with every statement counted as a read or a write, by its first keyword. */
const countedDb = new Proxy(env.DB, {
  get: (target, name) => {
    const value = Reflect.get(target, name, target) as unknown
    if (name !== "prepare" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value
    return (sql: string) => {
      if (/^\s*select\b/i.test(sql)) counts.d1Reads++
      else counts.d1Writes++
      return target.prepare(sql)
    }
  }
})

const kvReads = new Set(["get", "getWithMetadata", "list"])
/** KV with every operation counted, but those on the rate limiter's keys. */
const countedKv = new Proxy(env.KV, {
  get: (target, name) => {
    const value = Reflect.get(target, name, target) as unknown
    if (typeof value !== "function") return value
    return (key: unknown, ...rest: Array<unknown>) => {
      const limiter = typeof key === "string" && key.startsWith("ratelimit:")
      if (!limiter && typeof name === "string") {
        if (kvReads.has(name)) counts.kvReads++
        else if (name === "put" || name === "delete") counts.kvWrites++
      }
      return (value as (...args: Array<unknown>) => unknown).apply(target, [key, ...rest])
    }
  }
})

const app = makeWebHandler({ ...Either.getOrThrow(readConfig(env)), db: countedDb, kv: countedKv })
afterAll(() => app.dispose())

const background: Array<Promise<unknown>> = []

/** One request from a client of its own: its answer, and the storage work done before the answer. */
const post = async (path: string, body: unknown) => {
  counts = none()
  const response = await app.handler(
    new Request(`${origin}${path}`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify(body)
    }),
    { waitUntil: (promise) => void background.push(promise) }
  )
  const work = counts
  const text = await response.text()
  // What runs after the answer (the mail) is done before the next request is counted.
  await Promise.all(background.splice(0))
  return { status: response.status, text, work }
}

/** This app's own outbox (`GET /dev/outbox`). */
const outbox = (path: string) => app.handler(new Request(`${origin}${path}`, { headers: { "cf-connecting-ip": freshIp() } }))

const unknownAddress = () => `nobody-${crypto.randomUUID()}@example.com`
const password = "correct-horse-battery"

/** The answer's body with what differs per request anyway (ids, times, the address) left out. */
const shape = (text: string) =>
  JSON.stringify(JSON.parse(text), (key, value: unknown) =>
    ["id", "createdAt", "updatedAt", "email"].includes(key) ? typeof value : value)

describe("the same storage work before the answer, for a known and an unknown address", { timeout: 30_000 }, () => {
  const routes = [
    { name: "password reset", path: "/api/auth/request-password-reset", body: (email: string) => ({ email, redirectTo: "/reset" }) },
    { name: "magic link", path: "/api/auth/sign-in/magic-link", body: (email: string) => ({ email }) },
    { name: "sign-up", path: "/api/auth/sign-up/email", body: (email: string) => ({ email, password, name: "Someone" }) },
    { name: "password sign-in", path: "/api/auth/sign-in/email", body: (email: string) => ({ email, password: "a-wrong-password" }) },
    { name: "verification mail", path: "/api/auth/send-verification-email", body: (email: string) => ({ email }) }
  ] as const

  for (const route of routes) {
    it(route.name, async () => {
      const { email } = await signUp("even")
      // Better Auth is built, and its first look-up of a token cleans expired ones (once a minute).
      await post(route.path, route.body(unknownAddress()))
      const known = await post(route.path, route.body(email))
      const unknown = await post(route.path, route.body(unknownAddress()))
      expect(known.status).toBe(unknown.status)
      expect(shape(known.text)).toBe(shape(unknown.text))
      expect(known.work).toEqual(unknown.work)
    })
  }

  it("the work done is the known address's: a reset stores its token, a sign-up its user and account", async () => {
    const { email } = await signUp("even-work")
    await post("/api/auth/request-password-reset", { email: unknownAddress() })
    const reset = await post("/api/auth/request-password-reset", { email })
    // The user (its accounts joined), the token stored in D1 and KV, the dummy token read in both.
    expect(reset.work).toEqual({ d1Reads: 2, d1Writes: 1, kvReads: 1, kvWrites: 1 })
    expect((await mailTo(email, outbox)).map((m) => m.subject)).toEqual(["Reset your edge-auth-state password"])
    const fresh = await post("/api/auth/sign-up/email", { email: unknownAddress(), password, name: "Someone" })
    expect(fresh.work).toMatchObject({ d1Writes: 2 })
  })

  it("a taken address's sign-up leaves no row behind, and the unknown address's reset mails nobody", async () => {
    const { email } = await signUp("even-rows")
    const padding = () => env.DB.prepare(`select count(*) as n from "verification" where "identifier" like 'padding:%'`).first<number>("n")
    const before = await padding()
    expect((await post("/api/auth/sign-up/email", { email, password, name: "Someone" })).status).toBe(200)
    expect(await padding()).toBe(before)

    const stranger = unknownAddress()
    expect((await post("/api/auth/request-password-reset", { email: stranger })).status).toBe(200)
    expect(await mailTo(stranger, outbox)).toEqual([])
    // The token it stored lives a minute: KV's shortest life.
    const { keys } = await env.KV.list({ prefix: "auth:verification:padding:" })
    for (const key of keys) expect(key.expiration! - Date.now() / 1000).toBeLessThanOrEqual(61)
    expect(keys.length).toBeGreaterThan(0)
  })
})
