import { SELF } from "cloudflare:test"
import * as Client from "../../src/http/Client.js"

export const origin = "http://localhost:8787"

/** A client address of its own for each caller, so tests do not share rate-limit buckets. */
export const freshIp = () => `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`

/** A request from a client of its own (a fresh `CF-Connecting-IP`) unless the headers name one. */
export const call = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`${origin}${path}`, {
    ...init,
    headers: { origin, "cf-connecting-ip": freshIp(), ...(init.headers as Record<string, string> | undefined) }
  })

export const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

let counter = 0
/** Signs up a new user and returns the raw session token, the signed `set-auth-token` and the email. */
export const signUp = async (name = `user${++counter}`) => {
  const email = `${name}-${crypto.randomUUID()}@example.com`
  const response = await postJson("/api/auth/sign-up/email", { email, password: "correct-horse-battery", name })
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { token: string; user: { id: string } }
  return { email, token: body.token, signed: response.headers.get("set-auth-token")!, userId: body.user.id }
}

export const me = (authorization?: string) =>
  call("/api/me", authorization === undefined ? {} : { headers: { authorization } })

/**
 * Rate-limit windows are aligned to the minute and the worker runs on the real clock, so a test
 * that counts requests in one window starts away from a window's last seconds (waiting at most
 * 5 s, and only then) instead of failing when it straddles a boundary.
 */
export const awayFromWindowEdge = async () => {
  const intoMinute = Date.now() % 60_000
  if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50))
}

/**
 * The typed client over this worker (`SELF`), as a client of its own (a fresh `CF-Connecting-IP`),
 * signed in when given a token.
 */
export const apiClient = (token?: string) =>
  Client.make({
    baseUrl: origin,
    token,
    headers: { origin, "cf-connecting-ip": freshIp() },
    fetch: ((input, init) => SELF.fetch(input, init)) as typeof globalThis.fetch
  })
