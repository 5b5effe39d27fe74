import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { makeCheck } from "../../src/http/ratelimit/Attempts.js"
import { RateLimitRules } from "../../src/http/ratelimit/Rules.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import type { AuthOutcome } from "../../src/services/AuthGuard.js"

const Live = Layer.merge(RateLimiterKv.layer.pipe(Layer.provide(KvMemory.layer)), RateLimitRules.layer())

const attempt = (endpoint: string, body: unknown, userId?: string) => ({
  endpoint,
  body,
  headers: new Headers({ "cf-connecting-ip": "203.0.113.7" }),
  userId: Effect.succeed(Option.fromNullable(userId))
})

/** `n` attempts, each settled with `outcome`; the statuses of the refused ones, "ok" for the others. */
const run = (n: number, endpoint: string, body: unknown, outcome: AuthOutcome, userId?: string) =>
  Effect.gen(function*() {
    const check = yield* makeCheck("/api/auth")
    const results: Array<number | "ok"> = []
    for (let i = 0; i < n; i++) {
      const verdict = yield* check(attempt(endpoint, body, userId))
      if (verdict._tag === "Refused") results.push(verdict.response.status)
      else {
        results.push("ok")
        yield* verdict.settle(outcome)
      }
    }
    return results
  })

const failed = { succeeded: false, signedIn: false }

describe("per-account and per-user attempts", () => {
  it.effect("failed sign-ins use the account's places up, in any letter case", () =>
    Effect.gen(function*() {
      const statuses = yield* run(3, "/sign-in/email", { email: "Ada@Example.com" }, failed)
      const more = yield* run(3, "/sign-in/email", { email: "ada@example.COM" }, failed)
      expect([...statuses, ...more]).toEqual(["ok", "ok", "ok", "ok", "ok", 429])
    }).pipe(Effect.provide(Live)))

  it.effect("sign-ins that create a session give their place back", () =>
    Effect.gen(function*() {
      expect(yield* run(8, "/sign-in/email", { email: "ada@example.com" }, { succeeded: true, signedIn: true })).toEqual(Array(8).fill("ok"))
    }).pipe(Effect.provide(Live)))

  it.effect("a sign-in request that succeeds without a session (a link sent) still counts: 3 per account", () =>
    Effect.gen(function*() {
      const statuses = yield* run(4, "/sign-in/magic-link", { email: "ada@example.com" }, { succeeded: true, signedIn: false })
      // Its own bucket (`magic-link`, 3 per account), apart from the password sign-ins'.
      expect(statuses).toEqual(["ok", "ok", "ok", 429])
      expect(yield* run(1, "/sign-in/email", { email: "ada@example.com" }, failed)).toEqual(["ok"])
    }).pipe(Effect.provide(Live)))

  it.effect("reset requests always count; a body without an email names no account", () =>
    Effect.gen(function*() {
      expect(yield* run(4, "/request-password-reset", { email: "ada@example.com" }, { succeeded: true, signedIn: false }))
        .toEqual(["ok", "ok", "ok", 429])
      expect(yield* run(6, "/sign-in/social", { provider: "x" }, failed)).toEqual(Array(6).fill("ok"))
    }).pipe(Effect.provide(Live)))

  it.effect("password checks count per user; a right password gives its place back", () =>
    Effect.gen(function*() {
      expect(yield* run(6, "/change-password", {}, failed, "user1")).toEqual(["ok", "ok", "ok", "ok", "ok", 429])
      expect(yield* run(6, "/verify-password", {}, { succeeded: true, signedIn: false }, "user2")).toEqual(Array(6).fill("ok"))
      expect(yield* run(6, "/verify-password", {}, failed)).toEqual(Array(6).fill("ok"))
    }).pipe(Effect.provide(Live)))
})
