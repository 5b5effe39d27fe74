/**
 * Session tokens are reference tokens (ASVS 5.0 7.2.3): Better Auth draws each from the Web Crypto
 * CSPRNG (`crypto.getRandomValues`, rejection-sampled over 62 letters and digits), 32 characters:
 * 32 × log2(62) ≈ 190 bits. What a test can see of that: every sign-in gets a new one of that shape,
 * and it is the only key of its session in KV.
 */
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { awayFromWindowEdge, postJson, signUp } from "./helpers.js"

describe("session tokens", { timeout: 30_000 }, () => {
  it("every sign-in gets a new token of 32 letters and digits, stored as session:<token>", async () => {
    await awayFromWindowEdge()
    const { email, token, left } = await signUp("tokens")
    const tokens = [token]
    for (let i = 0; i < left; i++) {
      const response = await postJson("/api/auth/sign-in/email", { email, password: "correct-horse-battery" })
      expect(response.status).toBe(200)
      tokens.push(((await response.json()) as { token: string }).token)
    }
    expect(tokens).toHaveLength(1 + left)
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(new Set(tokens).size).toBe(tokens.length)
    for (const t of tokens) expect(await env.KV.get(`session:${t}`)).not.toBeNull()
  })
})
