import { SELF } from "cloudflare:test"
import { actions } from "../../src/http/actions/index.js"
import * as Api from "../../src/http/Api.js"
import * as Client from "../../src/http/Client.js"
import { passwordBudgets } from "../../src/http/ratelimit/Rules.js"

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
/** The rate limiter's window (epoch-aligned minutes) at `ms`. */
const windowAt = (ms: number) => Math.floor(ms / 60_000)

/**
 * Signs up a new user and signs in (a sign-up opens no session: it answers alike whether or not
 * the address was free). Returns the raw session token, the signed `set-auth-token`, the email,
 * the user's id, and what is left of the account's password budget (`password-account`) this
 * minute: the sign-up and the sign-in took a place each. Answers do not show that budget (it would
 * tell anyone that the account is in use), so it is counted here: both are made within one window,
 * or made again with another address.
 */
export const signUp = async (name = `user${++counter}`, post: typeof postJson = postJson): Promise<{
  email: string
  token: string
  signed: string
  userId: string
  left: number
}> => {
  const email = `${name}-${crypto.randomUUID()}@example.com`
  const started = windowAt(Date.now())
  const signedUp = await post("/api/auth/sign-up/email", { email, password: "correct-horse-battery", name })
  if (signedUp.status !== 200) throw new Error(`sign-up failed: ${signedUp.status} ${await signedUp.text()}`)
  const response = await post("/api/auth/sign-in/email", { email, password: "correct-horse-battery" })
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { token: string; user: { id: string } }
  if (windowAt(Date.now()) !== started) return signUp(name, post)
  const left = passwordBudgets.account.policy.limit - 2
  return { email, token: body.token, signed: response.headers.get("set-auth-token")!, userId: body.user.id, left }
}

/**
 * How many password sign-ins the account `email` still admits this minute: wrong guesses, each
 * from an address of its own, until one is refused. Spends them all.
 */
export const passwordAttemptsLeft = async (email: string) => {
  for (let admitted = 0; admitted <= passwordBudgets.account.policy.limit; admitted++) {
    const response = await postJson("/api/auth/sign-in/email", { email, password: "a-wrong-password-123" })
    if (response.status === 429) return admitted
    if (response.status !== 401) throw new Error(`a wrong guess answered ${response.status}`)
  }
  throw new Error(`more than ${passwordBudgets.account.policy.limit} guesses admitted`)
}

/** What the `RateLimit` field says is left of bucket `name`, if the answer was counted in it. */
export const remaining = (response: Response, name: string): number | undefined => {
  const item = (response.headers.get("ratelimit") ?? "").split(", ").find((i) => i.startsWith(`"${name}";`))
  return item === undefined ? undefined : Number(/;r=(\d+)/.exec(item)![1])
}

export const me = (authorization?: string) =>
  call("/api/me", authorization === undefined ? {} : { headers: { authorization } })

/**
 * Rate-limit windows are aligned to the minute and the worker runs on the real clock, so a test
 * that counts requests in one window starts away from a window's last seconds (waiting at most
 * 12 s, and only then) instead of failing when it straddles a boundary. Call it before the
 * requests whose counts the test reads (a sign-up among them).
 */
export const awayFromWindowEdge = async () => {
  const intoMinute = Date.now() % 60_000
  if (intoMinute > 48_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50))
}

/**
 * The typed client over this worker (`SELF`), as a client of its own (a fresh `CF-Connecting-IP`),
 * signed in when given a token.
 */
/** The API this worker serves (`main.ts`). */
const api = Api.make(actions)

export const apiClient = (token?: string) =>
  Client.make(api, {
    baseUrl: origin,
    token,
    headers: { origin, "cf-connecting-ip": freshIp() },
    fetch: ((input, init) => SELF.fetch(input, init)) as typeof globalThis.fetch
  })
