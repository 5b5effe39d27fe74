import { env, SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { call, me, origin, postJson, signUp } from "./helpers.js"

const nowSeconds = () => Math.floor(Date.now() / 1000)
const week = 7 * 24 * 3600

describe("sessions end to end (workerd, Miniflare KV and D1)", () => {
  it("sign-up, sign-in, Bearer /api/me, session in KV for 7 days, sign-out, 401", async () => {
    const { email } = await signUp("ada")
    const signIn = await postJson("/api/auth/sign-in/email", { email, password: "correct-horse-battery" })
    expect(signIn.status).toBe(200)
    const { token } = (await signIn.json()) as { token: string }

    const ok = await me(`Bearer ${token}`)
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { user: { email: string }; session: { expiresAt: string } }
    expect(body.user.email).toBe(email)
    expect(JSON.stringify(body)).not.toContain(token)

    const listed = await env.KV.list({ prefix: `session:${token}` })
    expect(listed.keys).toHaveLength(1)
    expect(Math.abs(listed.keys[0]!.expiration! - (nowSeconds() + week))).toBeLessThanOrEqual(5)
    const record = JSON.parse((await env.KV.get(`session:${token}`))!)
    expect(record.session.token).toBe(token)
    expect(record.user.email).toBe(email)

    const signOut = await postJson("/api/auth/sign-out", {}, { authorization: `Bearer ${token}` })
    expect(signOut.status).toBe(200)
    expect(await env.KV.get(`session:${token}`)).toBeNull()

    const after = await me(`Bearer ${token}`)
    expect(after.status).toBe(401)
    expect(after.headers.get("content-type")).toMatch(/json/)
    expect(await after.json()).toMatchObject({ error: "Invalid or expired session" })
  })

  it("sign out everywhere (revoke-sessions) ends every session, even ones the user's list lost", async () => {
    const { email, left } = await signUp()
    // Concurrent sign-ins race on Better Auth's per-user session list in KV; some entries are lost.
    // As many as the account's password budget has left this minute.
    const signIns = await Promise.all(
      Array.from({ length: left }, () => postJson("/api/auth/sign-in/email", { email, password: "correct-horse-battery" }))
    )
    const tokens = await Promise.all(signIns.map(async (r) => ((await r.json()) as { token: string }).token))
    for (const token of tokens) expect((await me(`Bearer ${token}`)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const revoked = await postJson("/api/auth/revoke-sessions", {}, { authorization: `Bearer ${tokens[0]}` })
    expect(revoked.status).toBe(200)
    for (const token of tokens) expect((await me(`Bearer ${token}`)).status).toBe(401)
  })

  it("the signed set-auth-token value works as a Bearer credential; a forged one does not", async () => {
    const { email, signed, token } = await signUp()
    expect(signed.startsWith(`${token}.`)).toBe(true)
    expect(((await (await me(`Bearer ${signed}`)).json()) as { user: { email: string } }).user.email).toBe(email)
    expect((await me(`Bearer ${encodeURIComponent(signed)}`)).status).toBe(200)
    const forged = `${token}.${btoa("x".repeat(32))}`
    expect((await me(`Bearer ${forged}`)).status).toBe(401)
  })

  it("the scheme is case-insensitive", async () => {
    const { token } = await signUp()
    for (const scheme of ["bearer", "BEARER", "BeArEr"]) {
      expect((await me(`${scheme} ${token}`)).status).toBe(200)
    }
  })

  it.each([
    ["missing", undefined, "Missing bearer token"],
    ["empty", "", "Missing bearer token"],
    ["another scheme", "Basic dXNlcjpwYXNz", "Malformed authorization header"],
    ["two credentials", "Bearer a b", "Malformed authorization header"],
    ["unknown token", "Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345", "Invalid or expired session"],
    ["not a token", "Bearer short", "Invalid bearer token"],
    ["bad signature encoding", "Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345.!!!", "Malformed authorization header"]
  ])("%s credential: 401 JSON", async (_name, authorization, error) => {
    const response = await me(authorization)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error })
  })

  it("an expired session record is 401 even while KV still holds the key", async () => {
    const { token } = await signUp()
    const record = JSON.parse((await env.KV.get(`session:${token}`))!)
    record.session.expiresAt = new Date(Date.now() - 1000).toISOString()
    await env.KV.put(`session:${token}`, JSON.stringify(record), { expirationTtl: 3600 })
    expect((await me(`Bearer ${token}`)).status).toBe(401)
  })

  it("30 concurrent requests with 30 users' tokens each get their own user back", async () => {
    const users = []
    for (let i = 0; i < 30; i++) users.push(await signUp(`c${i}`))
    const responses = await Promise.all(users.map((u) => me(`Bearer ${u.token}`)))
    const emails = await Promise.all(responses.map(async (r) => ((await r.json()) as { user: { email: string } }).user.email))
    expect(responses.map((r) => r.status)).toEqual(users.map(() => 200))
    expect(emails).toEqual(users.map((u) => u.email))
  }, 60_000) // 30 sign-ups and sign-ins hash 60 passwords (scrypt, ~60 ms of CPU each)

  it("a server-side client (Fetch Metadata, no Origin) can sign up; a cross-site browser post cannot", async () => {
    const body = JSON.stringify({ email: `node-${crypto.randomUUID()}@example.com`, password: "correct-horse-battery", name: "N" })
    const nodeLike = await SELF.fetch(`${origin}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-mode": "cors" },
      body
    })
    expect(nodeLike.status).toBe(200)
    const crossSite = await SELF.fetch(`${origin}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-mode": "cors", "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      body
    })
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get("content-type")).toMatch(/json/)
  })

  it("GET /health answers without credentials", async () => {
    const response = await call("/health")
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: "ok" })
  })
})
