// The worker as deployed, in workerd, against its own KV and D1 bindings (Miniflare).
import { env, fetchMock, SELF } from "cloudflare:test"
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest"

const origin = "http://localhost:8787"
const password = "correct-horse-battery"
let client = 0
/** A client address of its own per caller, so tests do not share rate-limit buckets. */
const freshIp = () => `198.51.100.${++client}`

const post = (path: string, body: unknown, ip = freshIp(), headers: Record<string, string> = {}) =>
  SELF.fetch(`${origin}${path}`, {
    method: "POST",
    headers: { origin, "content-type": "application/json", "cf-connecting-ip": ip, ...headers },
    body: JSON.stringify(body)
  })

const signedUp = async () => {
  const email = `member-${crypto.randomUUID()}@example.com`
  expect((await post("/api/auth/sign-up/email", { email, password, name: "M" })).status).toBe(200)
  const signedIn = await post("/api/auth/sign-in/email", { email, password })
  expect(signedIn.status).toBe(200)
  return { email, token: ((await signedIn.json()) as { token: string }).token }
}

beforeAll(() => {
  fetchMock.activate()
  fetchMock.disableNetConnect()
})
afterEach(() => fetchMock.assertNoPendingInterceptors())

describe("the consumer's worker", () => {
  it("serves the library's routes: health, sign-up and sign-in, a session in KV for 7 days", async () => {
    expect((await SELF.fetch(`${origin}/health`)).status).toBe(200)
    const { email, token } = await signedUp()
    const { keys } = await env.KV.list({ prefix: `session:${token}` })
    expect(keys).toHaveLength(1)
    expect(keys[0]!.expiration! - Date.now() / 1000).toBeGreaterThan(7 * 86_400 - 120)
    const me = await SELF.fetch(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ user: { email } })
  })

  it("serves its own action to a signed-in user, counting Better Auth's users in D1", async () => {
    const { token } = await signedUp()
    const members = await SELF.fetch(`${origin}/api/actions/members`, { headers: { authorization: `Bearer ${token}` } })
    expect(members.status).toBe(200)
    expect(((await members.json()) as { members: number }).members).toBeGreaterThanOrEqual(1)
    expect((await SELF.fetch(`${origin}/api/actions/members`)).status).toBe(401)
  })

  it("keeps its own rules: sign-in takes 3 a minute per client address, not the default 5", async () => {
    const ip = freshIp()
    const attempts = []
    for (let i = 0; i < 4; i++) attempts.push((await post("/api/auth/sign-in/email", { email: "nobody@example.com", password }, ip)).status)
    expect(attempts).toEqual([401, 401, 401, 429])
  })

  it("and its own rule for its action: 10 a minute per client address", async () => {
    const { token } = await signedUp()
    const ip = freshIp()
    const statuses = []
    for (let i = 0; i < 11; i++) {
      const response = await SELF.fetch(`${origin}/api/actions/members`, {
        headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip }
      })
      statuses.push(response.status)
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429])
  })

  it("sends mail through its own mailer: a magic link is posted to the webhook, with its token", async () => {
    const sent: Array<{ readonly to: string; readonly text: string; readonly authorization: string }> = []
    fetchMock
      .get("https://mail.example.com")
      .intercept({ path: "/send", method: "POST" })
      .reply(200, (request) => {
        const mail = JSON.parse(String(request.body)) as { to: string; text: string }
        const headers = request.headers as Record<string, string>
        sent.push({ ...mail, authorization: headers["authorization"] ?? "" })
        return {}
      })
    const email = `link-${crypto.randomUUID()}@example.com`
    expect((await post("/api/auth/sign-in/magic-link", { email, callbackURL: "/" })).status).toBe(200)
    // The mail goes out after the answer (waitUntil).
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    expect(sent[0]!.to).toBe(email)
    expect(sent[0]!.text).toContain(`${origin}/api/auth/magic-link/verify?token=`)
    expect(sent[0]!.authorization).toBe("Bearer test-webhook-token")
  })
})
