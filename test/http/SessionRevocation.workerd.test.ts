/**
 * SESSION_REVOCATION=immediate end to end, in workerd, with the real revocations Durable Object
 * and the real KV and D1: the worker itself (`main.ts`, configured from `env` as deployed) with the
 * mode switched on.
 *
 * Miniflare's KV is one location, strongly consistent. Another location's cache, still serving a
 * session after it ended, is reproduced by putting the session's record back into KV as it was
 * before the ending (`staleCopy`): that is exactly what such a location reads. `eventual` accepts
 * it (for up to 60 s in production); `immediate` refuses it.
 */
import { env, SELF } from "cloudflare:test"
import { Effect, Either, Option } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { makeWebHandler } from "../../src/http/App.js"
import { readConfig } from "../../src/http/Config.js"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import { freshIp, origin, signUp } from "./helpers.js"
import { mailTo, pathOf, rawToken } from "./outbox.js"
import { register, signInWith } from "./passkeys.js"

const worker = async () => (await import("../../src/http/main.js")).default

/** The worker under `env` with `vars` on top, as `wrangler.toml` and `--var` would give them. */
const through = (vars: Record<string, unknown>) => {
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const background: Array<Promise<unknown>> = []
    const request = new Request(`${origin}${path}`, {
      ...init,
      headers: { origin, "cf-connecting-ip": freshIp(), ...(init.headers as Record<string, string> | undefined) }
    })
    const ctx = { waitUntil: (promise: Promise<unknown>) => void background.push(promise), passThroughOnException: () => {} }
    const response = await (await worker()).fetch(request, { ...env, ...vars }, ctx as unknown as ExecutionContext)
    await Promise.all(background) // mail is sent after the answer
    return response
  }
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    call(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })
  const me = (token: string) => call("/api/me", { headers: { authorization: `Bearer ${token}` } })
  const getSession = async (token: string) => (await call("/api/auth/get-session", { headers: { authorization: `Bearer ${token}` } })).json()
  const signOut = (token: string) => postJson("/api/auth/sign-out", {}, { authorization: `Bearer ${token}` })
  const signIn = async (email: string, password = "correct-horse-battery") => {
    const response = await postJson("/api/auth/sign-in/email", { email, password })
    expect(response.status).toBe(200)
    return ((await response.json()) as { token: string }).token
  }
  return { call, postJson, me, getSession, signOut, signIn }
}

const immediate = through({ SESSION_REVOCATION: "immediate" })
const eventual = through({ SESSION_REVOCATION: "eventual" })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/**
 * The session's record in KV as it is now; `putBack()` writes it again as it was, as a location
 * whose cache read it before the session ended would still serve it.
 */
const staleCopy = async (token: string) => {
  const { value, metadata } = await env.KV.getWithMetadata(`session:${token}`)
  if (value === null) throw new Error(`no session:${token} in KV`)
  return { putBack: () => env.KV.put(`session:${token}`, value, { expirationTtl: 3600, metadata }) }
}

/**
 * What the user's revocations object says of a session of theirs that no deleted row named,
 * created a second ago: `revoked` once a revoke-all covers it (a sign-in racing the ending).
 */
const unnamedSession = (userId: string) =>
  Effect.runPromise(
    SessionRevocationsDurableObject.make(env.SESSION_REVOCATIONS).check({ userId, sessionId: "named-by-no-row", createdAt: Date.now() - 1000 })
  )

describe("SESSION_REVOCATION at start-up", () => {
  const configWith = (vars: Record<string, unknown>) => readConfig({ ...env, ...vars })

  it("defaults to eventual; immediate takes the SESSION_REVOCATIONS binding", () => {
    expect(Either.getOrThrow(readConfig({ ...env, SESSION_REVOCATION: undefined })).sessionRevocation).toEqual({ mode: "eventual" })
    expect(Either.getOrThrow(configWith({ SESSION_REVOCATION: "eventual" })).sessionRevocation).toEqual({ mode: "eventual" })
    expect(Either.getOrThrow(configWith({ SESSION_REVOCATION: "immediate" })).sessionRevocation).toEqual({
      mode: "immediate",
      namespace: env.SESSION_REVOCATIONS
    })
  })

  it("a bad value, or immediate without the binding, is named; the worker answers 503 with it", async () => {
    expect(Either.getLeft(configWith({ SESSION_REVOCATION: "strong" }))).toEqual(Option.some([
      `SESSION_REVOCATION must be "eventual" or "immediate" (got "strong")`
    ]))
    expect(Either.getLeft(configWith({ SESSION_REVOCATION: "immediate", SESSION_REVOCATIONS: undefined }))).toEqual(Option.some([
      "Durable Object binding `SESSION_REVOCATIONS` is missing (SESSION_REVOCATION=immediate): declare it in wrangler.toml with class_name = \"SessionRevocationsObject\" and its new_sqlite_classes migration"
    ]))
    const response = await through({ SESSION_REVOCATION: "Immediate" }).call("/health")
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: "Service misconfigured", problems: [expect.stringContaining(`(got "Immediate")`)] })
  })
})

describe("immediate: sign in, sign out, and the old token in the same second", () => {
  it("the token is refused by the next request, and by a location still serving its record", async () => {
    const { email } = await signUp(undefined, immediate.postJson)
    const token = await immediate.signIn(email)
    expect((await immediate.me(token)).status).toBe(200)
    const stale = await staleCopy(token)

    const started = Date.now()
    expect((await immediate.signOut(token)).status).toBe(200)
    expect((await immediate.me(token)).status).toBe(401)
    expect(Date.now() - started).toBeLessThan(1000)

    // Another location's cache: its copy of the record, from before the sign-out.
    await stale.putBack()
    expect((await immediate.me(token)).status).toBe(401)
    expect(await immediate.getSession(token)).toBeNull()
    // The same copy in eventual mode is accepted: KV's 60 s, which immediate closes.
    expect((await eventual.me(token)).status).toBe(200)
  })
})

describe("immediate: every way a session ends is refused everywhere at once", () => {
  it("revoke-session: the revoked one is refused, even from a stale copy; the caller's own stays", async () => {
    const { email, userId } = await signUp(undefined, immediate.postJson)
    const [mine, other] = [await immediate.signIn(email), await immediate.signIn(email)]
    const stale = await staleCopy(other)
    expect((await immediate.postJson("/api/auth/revoke-session", { token: other }, bearer(mine))).status).toBe(200)
    await stale.putBack()
    expect((await immediate.me(other)).status).toBe(401)
    expect((await immediate.me(mine)).status).toBe(200)
    expect(await unnamedSession(userId)).toBe("live") // one session's revocation, no revoke-all
  })

  it("revoke-other-sessions: every other one is refused, even from stale copies; the caller's own stays", async () => {
    const { email, userId } = await signUp(undefined, immediate.postJson)
    const mine = await immediate.signIn(email)
    const others = [await immediate.signIn(email), await immediate.signIn(email)]
    const stale = await Promise.all(others.map(staleCopy))
    expect((await immediate.postJson("/api/auth/revoke-other-sessions", {}, bearer(mine))).status).toBe(200)
    for (const copy of stale) await copy.putBack()
    for (const other of others) expect((await immediate.me(other)).status).toBe(401)
    expect((await immediate.me(mine)).status).toBe(200)
    expect(await unnamedSession(userId)).toBe("live")
  })

  it("revoke-sessions (sign out everywhere): every one is refused, even from stale copies", async () => {
    const { email, token, userId } = await signUp(undefined, immediate.postJson)
    const tokens = [token, await immediate.signIn(email)]
    const stale = await Promise.all(tokens.map(staleCopy))
    expect((await immediate.postJson("/api/auth/revoke-sessions", {}, bearer(tokens[0]!))).status).toBe(200)
    for (const copy of stale) await copy.putBack()
    for (const ended of tokens) {
      expect((await immediate.me(ended)).status).toBe(401)
      expect(await immediate.getSession(ended)).toBeNull()
    }
    // A session signed in while the rows were deleted, which no row named, is refused too.
    expect(await unnamedSession(userId)).toBe("revoked")
    // A sign-in after it is a new session.
    expect((await immediate.me(await immediate.signIn(email))).status).toBe(200)
  })

  it("a password change that revokes the other sessions: the old tokens are refused, the new one it answers works", async () => {
    const { email, userId } = await signUp(undefined, immediate.postJson)
    const [mine, other] = [await immediate.signIn(email), await immediate.signIn(email)]
    const stale = await Promise.all([mine, other].map(staleCopy))
    const changed = await immediate.postJson(
      "/api/auth/change-password",
      { currentPassword: "correct-horse-battery", newPassword: "another-horse-battery", revokeOtherSessions: true },
      bearer(mine)
    )
    expect(changed.status).toBe(200)
    const { token: renewed } = (await changed.json()) as { token: string }
    for (const copy of stale) await copy.putBack()
    expect((await immediate.me(other)).status).toBe(401)
    expect((await immediate.me(mine)).status).toBe(401)
    expect((await immediate.me(renewed)).status).toBe(200)
    // Each old row revoked on its own: a revoke-all could refuse the session it signs in anew.
    expect(await unnamedSession(userId)).toBe("live")
  })

  it("a password reset: every session is refused, even from stale copies; signing in with the new password works", async () => {
    const { email, userId } = await signUp(undefined, immediate.postJson)
    const tokens = [await immediate.signIn(email), await immediate.signIn(email)]
    const stale = await Promise.all(tokens.map(staleCopy))
    expect((await immediate.postJson("/api/auth/request-password-reset", { email, redirectTo: "/reset" })).status).toBe(200)
    const link = (await mailTo(email, immediate.call))[0]!.links[0]!
    const followed = await immediate.call(pathOf(link), { redirect: "manual" })
    const resetToken = new URL(followed.headers.get("location")!).searchParams.get("token")!
    expect((await immediate.postJson("/api/auth/reset-password", { newPassword: "a-brand-new-password", token: resetToken })).status).toBe(200)
    for (const copy of stale) await copy.putBack()
    for (const token of tokens) expect((await immediate.me(token)).status).toBe(401)
    expect(await unnamedSession(userId)).toBe("revoked")
    expect((await immediate.me(await immediate.signIn(email, "a-brand-new-password"))).status).toBe(200)
  })

  // An account claim ends every session and signs the owner in within the same request: the owner's
  // session must not fall under the revoke-all the claim records (its millisecond included).
  for (const claim of ["a magic link", "the verification link"] as const) {
    it(`an account claim by ${claim}: the planted sessions are refused, even from stale copies; the owner's works`, async () => {
      const { email, token: planted, userId } = await signUp("victim", immediate.postJson)
      const stale = await staleCopy(planted)
      const ask = claim === "a magic link"
        ? immediate.postJson("/api/auth/sign-in/magic-link", { email })
        : immediate.postJson("/api/auth/send-verification-email", { email })
      expect((await ask).status).toBe(200)
      const link = (await mailTo(email, immediate.call))[0]!.links[0]!
      const owner = (await immediate.call(pathOf(link), { redirect: "manual" })).headers.get("set-auth-token")!
      expect(owner).toBeTruthy()
      await stale.putBack()
      expect((await immediate.me(planted)).status).toBe(401)
      expect(await (await immediate.me(owner)).json()).toMatchObject({ user: { email, emailVerified: true } })
      expect(await unnamedSession(userId)).toBe("revoked")
    })
  }
})

/**
 * `db` with `around` wrapped about every statement it runs: what a concurrent request would do
 * between two of this one's statements is done there.
 */
const intercepted = (db: D1Database, around: (sql: string, run: () => Promise<unknown>) => Promise<unknown>): D1Database => {
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get: (target, key) => {
        if (key === "bind") return (...values: Array<unknown>) => wrap(target.bind(...values), sql)
        const value = Reflect.get(target, key) as unknown
        if (typeof value !== "function") return value
        return ["all", "run", "first", "raw"].includes(String(key))
          ? (...args: Array<unknown>) => around(sql, () => (value as (...a: Array<unknown>) => Promise<unknown>).apply(target, args))
          : value.bind(target)
      }
    })
  return new Proxy(db, {
    get: (target, key) => {
      if (key === "prepare") return (sql: string) => wrap(target.prepare(sql), sql)
      const value = Reflect.get(target, key) as unknown
      return typeof value === "function" ? value.bind(target) : value
    }
  })
}

const sessionRows = async (token: string) =>
  (await env.DB.prepare(`select count(*) as "n" from "session" where "token" = ?`).bind(token).first<{ n: number }>())!.n

describe("immediate: a sign-in racing a sign-out everywhere", () => {
  // Its session was created before the revoke-all's millisecond but its row was not among those
  // Better Auth deleted. KV's copy is refused by the record; the row must go too, or Better Auth,
  // given nothing by its storage, would find the session in D1 and accept it (get-session).

  it("its row committed after the deletion, before the revoke-all: deleted with the revoke-all, its token refused", async () => {
    const { email, token } = await signUp(undefined, immediate.postJson)
    const racing = await immediate.signIn(email)
    const stale = await staleCopy(racing)
    // Not yet written when the deletion runs: the row is put back right after it.
    const row = (await env.DB.prepare(`select * from "session" where "token" = ?`).bind(racing).first<Record<string, unknown>>())!
    await env.DB.prepare(`delete from "session" where "token" = ?`).bind(racing).run()
    let raced = false
    const worker = through({
      SESSION_REVOCATION: "immediate",
      // A configuration of its own: the worker built for it holds this database.
      RACE: crypto.randomUUID(),
      DB: intercepted(env.DB, async (sql, run) => {
        const result = await run()
        if (!raced && /^delete from "session"/i.test(sql)) {
          raced = true
          const columns = Object.keys(row)
          await env.DB.prepare(`insert into "session" (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`)
            .bind(...columns.map((c) => row[c]))
            .run()
        }
        return result
      })
    })
    expect((await worker.postJson("/api/auth/revoke-sessions", {}, bearer(token))).status).toBe(200)
    expect(raced).toBe(true)
    await stale.putBack()
    expect(await immediate.getSession(racing)).toBeNull()
    expect((await immediate.me(racing)).status).toBe(401)
    expect(await sessionRows(racing)).toBe(0)
  })

  it("its row committed after the revoke-all: deleted as it is created, its token refused", async () => {
    const { email, token } = await signUp(undefined, immediate.postJson)
    let raced = false
    const worker = through({
      SESSION_REVOCATION: "immediate",
      // A configuration of its own: the worker built for it holds this database.
      RACE: crypto.randomUUID(),
      DB: intercepted(env.DB, async (sql, run) => {
        // The session is made (its creation time taken) before the sign-out everywhere; its row is
        // written after that has answered.
        if (!raced && /^insert into "session"/i.test(sql)) {
          raced = true
          expect((await immediate.postJson("/api/auth/revoke-sessions", {}, bearer(token))).status).toBe(200)
        }
        return run()
      })
    })
    const racing = await worker.signIn(email)
    expect(raced).toBe(true)
    expect(await immediate.getSession(racing)).toBeNull()
    expect((await immediate.me(racing)).status).toBe(401)
    expect(await sessionRows(racing)).toBe(0)
    // A sign-in after it is a new session.
    expect((await immediate.me(await immediate.signIn(email))).status).toBe(200)
  })
})

describe("immediate: every sign-in method", () => {
  const endsAtOnce = async (token: string) => {
    expect((await immediate.me(token)).status).toBe(200)
    const stale = await staleCopy(rawToken(token))
    expect((await immediate.signOut(token)).status).toBe(200)
    await stale.putBack()
    expect((await immediate.me(token)).status).toBe(401)
  }

  it("password", async () => {
    const { email } = await signUp(undefined, immediate.postJson)
    await endsAtOnce(await immediate.signIn(email))
  })

  it("magic link", async () => {
    const { email } = await signUp(undefined, immediate.postJson)
    expect((await immediate.postJson("/api/auth/sign-in/magic-link", { email })).status).toBe(200)
    const link = (await mailTo(email, immediate.call))[0]!.links[0]!
    await endsAtOnce((await immediate.call(pathOf(link), { redirect: "manual" })).headers.get("set-auth-token")!)
  })

  it("passkey", async () => {
    const { token } = await signUp(undefined, immediate.postJson)
    const { credential, verified } = await register(token, undefined, immediate)
    expect(verified.status).toBe(200)
    const { answer } = await signInWith(credential, undefined, undefined, immediate)
    expect(answer.status).toBe(200)
    await endsAtOnce(answer.headers.get("set-auth-token")!)
  })
})

describe("immediate with every rate limiter backend", () => {
  for (const backend of ["kv", "durable-object", "binding"] as const) {
    it(`RATE_LIMIT_BACKEND=${backend}`, async () => {
      const target = through({ SESSION_REVOCATION: "immediate", RATE_LIMIT_BACKEND: backend })
      const { email } = await signUp(undefined, target.postJson)
      const token = await target.signIn(email)
      expect((await target.me(token)).status).toBe(200)
      const stale = await staleCopy(token)
      expect((await target.signOut(token)).status).toBe(200)
      await stale.putBack()
      expect((await target.me(token)).status).toBe(401)
    })
  }
})

describe("when the revocations object cannot be reached", () => {
  /** A namespace whose every object is unreachable, as during a Durable Object outage. */
  const unreachable = {
    idFromName: (name: string) => env.SESSION_REVOCATIONS.idFromName(name),
    get: () => ({ fetch: () => Promise.reject(new Error("Durable Object is overloaded")) })
  }
  const handlerIn = (mode: "eventual" | "immediate") => {
    const config = Either.getOrThrow(readConfig(env))
    return makeWebHandler({ ...config, sessionRevocation: mode === "immediate" ? { mode, namespace: unreachable } : { mode } })
  }
  const logged = (spy: { readonly mock: { readonly calls: ReadonlyArray<ReadonlyArray<unknown>> } }) =>
    spy.mock.calls.flatMap((args) => {
      try {
        return [JSON.parse(String(args[0])) as Record<string, unknown>]
      } catch {
        return []
      }
    })
  afterEach(() => void vi.restoreAllMocks())

  it("immediate: an authenticated request is answered 503 JSON, never accepted unchecked, and logged with its request id", async () => {
    const { token } = await signUp()
    const spy = vi.spyOn(console, "log").mockImplementation(() => {})
    const { dispose, handler } = handlerIn("immediate")
    const response = await handler(new Request(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}`, "cf-ray": "8f1e2d3c4b5a6978-AMS" } }))
    expect(response.status).toBe(503)
    expect(response.headers.get("x-request-id")).toBe("8f1e2d3c4b5a6978-AMS")
    expect(await response.json()).toMatchObject({ error: "Session store unavailable" })
    const line = logged(spy).find((l) => JSON.stringify(l["message"]).includes("session store unavailable while authenticating"))
    expect(line).toMatchObject({ logLevel: "ERROR", annotations: { requestId: "8f1e2d3c4b5a6978-AMS" } })
    expect(JSON.stringify(line)).toContain("session revocations object unreachable: Durable Object is overloaded")
    // Better Auth's own session read too.
    const session = await handler(new Request(`${origin}/api/auth/get-session`, { headers: { origin, authorization: `Bearer ${token}` } }))
    expect(session.status).toBe(503)
    expect(session.headers.get("content-type")).toMatch(/json/)
    await dispose()
  })

  it("immediate: a sign-out whose revocation cannot be recorded is answered 503; retried once the object is back, it ends the session", async () => {
    const { token } = await signUp()
    const stale = await staleCopy(token)
    const spy = vi.spyOn(console, "log").mockImplementation(() => {})
    vi.spyOn(console, "error").mockImplementation(() => {})
    const { dispose, handler } = handlerIn("immediate")
    const signOut = await handler(new Request(`${origin}/api/auth/sign-out`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() },
      body: "{}"
    }))
    expect(signOut.status).toBe(503)
    expect(await signOut.json()).toEqual({ error: "Service unavailable" })
    const line = logged(spy).find((l) => JSON.stringify(l["message"]).includes("auth provider unavailable"))
    expect(JSON.stringify(line)).toContain("session revocations unavailable: session revocations object unreachable")
    expect(line).toMatchObject({ logLevel: "ERROR", annotations: { requestId: signOut.headers.get("x-request-id") } })
    await dispose()
    // Nothing was taken for ended unchecked; the retry, once the object is back, ends the session.
    expect((await immediate.signOut(token)).status).toBe(200)
    await stale.putBack()
    expect(await immediate.getSession(token)).toBeNull()
    expect((await immediate.me(token)).status).toBe(401)
  })

  it("eventual: unaffected, the object is never asked", async () => {
    const { token } = await signUp()
    const { dispose, handler } = handlerIn("eventual")
    expect((await handler(new Request(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } }))).status).toBe(200)
    const signOut = await handler(new Request(`${origin}/api/auth/sign-out`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() },
      body: "{}"
    }))
    expect(signOut.status).toBe(200)
    expect((await SELF.fetch(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)
    await dispose()
  })
})
