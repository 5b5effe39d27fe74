import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { awayFromWindowEdge, call, freshIp, postJson, signUp } from "./helpers.js"

const nowSeconds = () => Math.floor(Date.now() / 1000)

// Each sign-in hashes a password (~60 ms of CPU): on a loaded machine a test of several takes seconds.
describe("rate limiting the auth routes (workerd, Miniflare KV)", { timeout: 30_000 }, () => {
  it("the 6th sign-in within a minute from one IP is 429 with its headers; KV holds the counter", async () => {
    const ip = freshIp()
    await awayFromWindowEdge()
    const statuses: Array<number> = []
    let last: Response | undefined
    for (let i = 0; i < 6; i++) {
      // Six accounts: only the address's buckets fill up.
      last = await postJson("/api/auth/sign-in/email", { email: `nobody-${crypto.randomUUID()}@example.com`, password: "correct-horse-battery" }, { "cf-connecting-ip": ip })
      statuses.push(last.status)
      if (i < 5) {
        // The client's bucket, the address's password budget and the account's are counted; the
        // account's is not reported (what is left of it would tell whether others use the account).
        expect(last.headers.get("ratelimit-policy")).toBe(`"sign-in";q=5;w=60, "password-address";q=10;w=60`)
        expect(last.headers.get("ratelimit")).toMatch(new RegExp(`^"sign-in";r=${4 - i};t=\\d+, "password-address";r=${9 - i};t=\\d+$`))
      }
    }
    // Better Auth itself may answer a sign-in at any status; what matters is that the first five reach it.
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true)
    expect(statuses[5]).toBe(429)
    expect(await last!.json()).toEqual({ error: "Too many requests" })
    const retryAfter = Number(last!.headers.get("retry-after"))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(last!.headers.get("ratelimit-policy")).toBe(`"sign-in";q=5;w=60`)
    expect(last!.headers.get("ratelimit")).toBe(`"sign-in";r=0;t=${retryAfter}`)

    const listed = await env.KV.list({ prefix: `ratelimit:${ip}:` })
    expect(listed.keys.map((k) => k.name)).toEqual([`ratelimit:${ip}:password-address`, `ratelimit:${ip}:sign-in`])
    const expiration = listed.keys[1]!.expiration!
    expect(expiration - nowSeconds()).toBeGreaterThanOrEqual(55)
    expect(expiration - nowSeconds()).toBeLessThanOrEqual(61)
    expect(Number(await env.KV.get(`ratelimit:${ip}:sign-in`))).toBeGreaterThanOrEqual(1)
  })

  it("path variants, a spoofed X-Forwarded-For and a query string all share the bucket", async () => {
    const ip = freshIp()
    await awayFromWindowEdge()
    const variants = [
      "/api/auth/sign-up/email",
      "/API/AUTH/SIGN-UP/EMAIL",
      "//api/auth/sign-up/email/",
      "/api/auth/sign%2Dup/email?x=1"
    ]
    const statuses = []
    for (const [i, path] of variants.entries()) {
      const response = await call(path, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip, "x-forwarded-for": `203.0.113.${i}` },
        body: JSON.stringify({ email: `v${i}-${crypto.randomUUID()}@example.com`, password: "correct-horse-battery", name: "V" })
      })
      statuses.push(response.status)
    }
    // Sign-up allows 3 a minute: the fourth variant is the fourth request in one bucket.
    expect(statuses[3]).toBe(429)
    expect(statuses.slice(0, 3)).not.toContain(429)
  })

  it("routes outside /api/auth are not limited and carry no RateLimit fields", async () => {
    const response = await call("/health")
    expect(response.headers.get("ratelimit")).toBeNull()
  })

  it("other auth routes share a 100 per minute bucket and say so", async () => {
    const response = await call("/api/auth/get-session")
    expect(response.headers.get("ratelimit-policy")).toBe(`"auth";q=100;w=60`)
    expect(response.headers.get("ratelimit")).toMatch(/^"auth";r=99;t=\d+$/)
  })

  it("a burst of concurrent sign-ins from one IP admits at most 5", async () => {
    const ip = freshIp()
    await awayFromWindowEdge()
    const responses = await Promise.all(
      Array.from({ length: 15 }, () =>
        postJson("/api/auth/sign-in/email", { email: "nobody@example.com", password: "wrong-password-123" }, { "cf-connecting-ip": ip }))
    )
    expect(responses.filter((r) => r.status !== 429)).toHaveLength(5)
  })
})

describe("per-account limits: rotating client addresses does not multiply attempts on one account", { timeout: 30_000 }, () => {
  it("once the account's password budget is spent, the next sign-in is 429 whatever CF-Connecting-IP says, and KV holds the account bucket", async () => {
    await awayFromWindowEdge()
    const { email, left } = await signUp()
    const statuses: Array<number> = []
    let last: Response | undefined
    for (let i = 0; i <= left; i++) {
      last = await postJson("/api/auth/sign-in/email", { email: i % 2 ? email.toUpperCase() : email, password: "wrong-password-123" }, {
        "cf-connecting-ip": freshIp()
      })
      statuses.push(last.status)
    }
    expect(statuses.slice(0, left)).not.toContain(429)
    expect(statuses[left]).toBe(429)
    expect(last!.headers.get("ratelimit")).toMatch(/^"sign-in";r=\d+;t=\d+, "password-address";r=\d+;t=\d+, "password-account";r=0;t=\d+$/)
    const keys = (await env.KV.list({ prefix: "ratelimit:account:" })).keys.map((k) => k.name)
    const mine = keys.filter((k) => k.endsWith(":password-account"))
    expect(mine.length).toBeGreaterThanOrEqual(1)
    for (const key of keys) expect(key).toMatch(/^ratelimit:account:[0-9a-f]{32}:password-account$/)
    expect(keys.join()).not.toContain("example.com")
  })

  it("a different account from the same fresh address is not affected", async () => {
    const a = await signUp()
    const b = await signUp()
    await awayFromWindowEdge()
    for (let i = 0; i < 5; i++) {
      await postJson("/api/auth/sign-in/email", { email: a.email, password: "wrong-password-123" }, { "cf-connecting-ip": freshIp() })
    }
    const other = await postJson("/api/auth/sign-in/email", { email: b.email, password: "correct-horse-battery" }, { "cf-connecting-ip": freshIp() })
    expect(other.status).toBe(200)
  })
})
