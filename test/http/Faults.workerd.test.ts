import { env } from "cloudflare:test"
import { Either, Option, Redacted } from "effect"
import { betterAuth } from "better-auth"
import type { SecondaryStorage as BetterAuthStorage } from "better-auth"
import { Duration, Effect, Layer, ManagedRuntime } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import * as Options from "../../src/layers/betterauth/Options.js"
import * as SecondaryStorage from "../../src/layers/betterauth/SecondaryStorage.js"
import * as BetterAuthLibrary from "../../src/layers/betterauth/LibraryModule.js"
import * as KvBinding from "../../src/layers/KvBinding.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { runPromise } from "../../src/services/RequestScheduler.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import { origin, signUp } from "./helpers.js"

const config = () => Either.getOrThrow(readConfig(env))

/** A KV namespace whose every call rejects as an unreachable KV does. */
const unreachableKv = new Proxy({} as KVNamespace, {
  get: () => () => Promise.reject(new Error("KV GET failed: 503 Service Unavailable"))
})

describe("when KV is unavailable", () => {
  it("validating a Bearer token answers 503 JSON, never 401 or 500", async () => {
    const { token } = await signUp()
    const { dispose, handler } = appOf({ ...config(), kv: unreachableKv })
    const response = await handler(new Request(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } }))
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: "Session store unavailable" })
    await dispose()
  })

  it("signing in answers 503 JSON", async () => {
    const { email } = await signUp()
    const { dispose, handler } = appOf({ ...config(), kv: unreachableKv })
    const response = await handler(new Request(`${origin}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ email, password: "correct-horse-battery" })
    }))
    expect(response.status).toBe(503)
    expect(response.headers.get("content-type")).toMatch(/json/)
    await dispose()
  })
})

describe("start-up configuration", () => {
  it("names every missing secret and binding", () => {
    expect(readConfig({ BETTER_AUTH_URL: "http://localhost:8787" })).toEqual(Either.left([
      "KV namespace binding `KV` is missing",
      "D1 database binding `DB` is missing",
      "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)",
      "MAIL_FROM is not set (the sender of sign-in mail, e.g. \"Example <auth@example.com>\"; MAILER=outbox for local development, MAILER=none for no mail)",
      "RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)"
    ]))
    expect(Either.getLeft(readConfig({ ...env, BETTER_AUTH_SECRET: "short", BETTER_AUTH_URL: "not a url" }))).toEqual(
      Option.some(["BETTER_AUTH_SECRET must be set to at least 32 characters", "BETTER_AUTH_URL must be an absolute URL"])
    )
  })

  it("a misconfigured worker answers 503 JSON naming the problem, not a 500 with a stack trace", async () => {
    const worker = (await import("../../src/http/main.js")).default
    const response = await worker.fetch(
      new Request(`${origin}/api/me`, { headers: { "cf-ray": "8f1e2d3c4b5a6978-LHR" } }),
      { ...env, BETTER_AUTH_SECRET: undefined } as never,
      {} as never
    )
    expect(response.status).toBe(503)
    expect(response.headers.get("x-request-id")).toBe("8f1e2d3c4b5a6978-LHR")
    expect(await response.json()).toEqual({
      error: "Service misconfigured",
      problems: ["BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)"]
    })
  })
})

describe("Better Auth never needs KV to be atomic", () => {
  it("sign-up, sign-in, get-session, session refresh and sign-out never call getAndDelete or increment", async () => {
    const calls: Record<string, number> = {}
    const runtime = ManagedRuntime.make(
      SessionStoreKv.layer.pipe(Layer.provideMerge(SessionConfig.layer()), Layer.provide(KvBinding.layer(env.KV)))
    )
    const store = await runtime.runPromise(SessionStore)
    const effectRuntime = await runtime.runtime()
    const storage = SecondaryStorage.make(store, (effect) => runPromise(effectRuntime, effect))
    const spied = Object.fromEntries(
      Object.entries(storage).map(([name, f]) => [name, (...args: Array<never>) => {
        calls[name] = (calls[name] ?? 0) + 1
        return (f as (...a: Array<never>) => unknown)(...args)
      }])
    ) as unknown as BetterAuthStorage
    const cfg = config()
    // updateAge 0: every get-session is due for a refresh, so the refresh path runs too.
    const auth = betterAuth(Options.options(
      BetterAuthLibrary,
      { database: cfg.db, secret: cfg.secret, baseURL: cfg.baseURL },
      { expiresIn: Duration.days(7), updateAge: Duration.zero },
      { storage: spied }
    ))
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      auth.handler(new Request(`${origin}/api/auth${path}`, {
        method: "POST",
        headers: { origin, "content-type": "application/json", ...headers },
        body: JSON.stringify(body)
      }))
    const email = `atomic-${crypto.randomUUID()}@example.com`
    expect((await post("/sign-up/email", { email, password: "correct-horse-battery", name: "A" })).status).toBe(200)
    const signIn = await post("/sign-in/email", { email, password: "correct-horse-battery" })
    const { token } = (await signIn.json()) as { token: string }
    const before = JSON.parse((await env.KV.get(`session:${token}`))!).session.expiresAt
    await new Promise((resolve) => setTimeout(resolve, 5))
    const session = await auth.handler(new Request(`${origin}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}` } }))
    expect(session.status).toBe(200)
    const after = JSON.parse((await env.KV.get(`session:${token}`))!).session.expiresAt
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before))
    expect((await post("/sign-out", {}, { authorization: `Bearer ${token}` })).status).toBe(200)
    expect(await env.KV.get(`session:${token}`)).toBeNull()

    expect(calls["getAndDelete"] ?? 0).toBe(0)
    expect(calls["increment"] ?? 0).toBe(0)
    expect(calls["set"]).toBeGreaterThan(0)
    expect(calls["get"]).toBeGreaterThan(0)
    expect(calls["delete"]).toBeGreaterThan(0)
    await runtime.dispose()
  })

  it("reaching either is a loud defect", () => {
    const storage = SecondaryStorage.make({} as never, () => Promise.reject(new Error("not used")))
    expect(() => storage.getAndDelete("k")).toThrow(SecondaryStorage.NonAtomicStorageDefect)
    expect(() => storage.increment("k", 60)).toThrow(/KV cannot do atomically/)
  })
})

void Redacted
