import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { mailboxOf } from "../../src/http/ratelimit/Account.js"
import { makeCheck } from "../../src/http/ratelimit/Budgets.js"
import { RateLimitRules } from "../../src/http/ratelimit/Rules.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import type { AttemptUser } from "../../src/services/AttemptGuard.js"

const Live = Layer.merge(RateLimiterKv.layer.pipe(Layer.provide(KvMemory.layer)), RateLimitRules.layer())

interface Attempt {
  readonly endpoint: string
  readonly body?: unknown
  readonly valid?: boolean
  readonly user?: AttemptUser
  readonly ip?: string
}

/** The outcome of each attempt, in order: "ok", or the refusal's status. */
const run = (attempts: ReadonlyArray<Attempt>) =>
  Effect.gen(function*() {
    const check = yield* makeCheck("/api/auth")
    const results: Array<number | "ok"> = []
    for (const a of attempts) {
      const verdict = yield* check({
        endpoint: a.endpoint,
        body: a.body ?? {},
        valid: a.valid ?? true,
        headers: new Headers({ "cf-connecting-ip": a.ip ?? "203.0.113.7" }),
        user: Effect.succeed(Option.fromNullable(a.user))
      })
      results.push(verdict._tag === "Refused" ? verdict.response.status : "ok")
    }
    return results
  })

const times = (n: number, attempt: Attempt) => Array.from({ length: n }, (_, i) => ({ ip: `198.51.100.${i + 1}`, ...attempt }))
const ada = { id: "user-ada", email: "Ada@Example.com" }

describe("budgets: every attempt counts, success included", () => {
  it.effect("password sign-ins of one account, from many addresses, in any letter case: 5 a minute", () =>
    Effect.gen(function*() {
      const statuses = yield* run([
        ...times(3, { endpoint: "/sign-in/email", body: { email: "Ada@Example.com", password: "x" } }),
        ...times(3, { endpoint: "/sign-in/email", body: { email: "ada@example.COM", password: "y" } })
      ])
      expect(statuses).toEqual(["ok", "ok", "ok", "ok", "ok", 429])
      yield* TestClock.adjust("1 minute")
      expect(yield* run([{ endpoint: "/sign-in/email", body: { email: "ada@example.com", password: "z" } }])).toEqual(["ok"])
    }).pipe(Effect.provide(Live)))

  it.effect("sign-ins, sign-ups and the signed-in user's password checks share one account's password budget", () =>
    Effect.gen(function*() {
      expect(yield* run([
        ...times(2, { endpoint: "/sign-in/email", body: { email: "ada@example.com", password: "x" } }),
        ...times(1, { endpoint: "/sign-up/email", body: { email: "ada@example.com", password: "long-enough", name: "A" } }),
        ...times(2, { endpoint: "/change-password", user: ada }),
        ...times(1, { endpoint: "/verify-password", user: ada })
      ])).toEqual(["ok", "ok", "ok", "ok", "ok", 429])
      // Another user's budget is their own.
      expect(yield* run(times(1, { endpoint: "/verify-password", user: { id: "u2", email: "bob@example.com" } }))).toEqual(["ok"])
    }).pipe(Effect.provide(Live)))

  it.effect("one address: at most 10 password requests a minute, whatever the accounts", () =>
    Effect.gen(function*() {
      const attempts = Array.from({ length: 11 }, (_, i) => ({ endpoint: "/sign-in/email", body: { email: `u${i}@example.com`, password: "x" }, ip: "192.0.2.9" }))
      // The per-address rule (5 sign-ins a minute) is the edge's; here only the budgets count.
      expect(yield* run(attempts)).toEqual([...Array(10).fill("ok"), 429])
    }).pipe(Effect.provide(Live)))

  it.effect("an address over its own budget spends no place of the account it names", () =>
    Effect.gen(function*() {
      const fromOne = Array.from({ length: 12 }, (_, i) => ({ endpoint: "/sign-in/email", body: { email: i < 10 ? `u${i}@example.com` : "ada@example.com", password: "x" }, ip: "192.0.2.10" }))
      expect((yield* run(fromOne)).slice(10)).toEqual([429, 429])
      expect(yield* run(times(5, { endpoint: "/sign-in/email", body: { email: "ada@example.com", password: "x" } }))).toEqual(Array(5).fill("ok"))
    }).pipe(Effect.provide(Live)))

  it.effect("a request Better Auth refuses before checking anything (invalid input) costs no budget", () =>
    Effect.gen(function*() {
      expect(yield* run(times(8, { endpoint: "/sign-in/email", body: { email: "ada@example.com" }, valid: false }))).toEqual(Array(8).fill("ok"))
      expect(yield* run(times(5, { endpoint: "/sign-in/email", body: { email: "ada@example.com", password: "x" } }))).toEqual(Array(5).fill("ok"))
    }).pipe(Effect.provide(Live)))

  it.effect("a password check with no signed-in user (Better Auth answers 401) costs no account anything", () =>
    Effect.gen(function*() {
      expect(yield* run(times(6, { endpoint: "/change-password" }))).toEqual(Array(6).fill("ok"))
    }).pipe(Effect.provide(Live)))

  it.effect("mail to one mailbox, every spelling and every route: 5 a minute, 20 an hour", () =>
    Effect.gen(function*() {
      const spellings = ["x@example.com", "X+1@Example.com", "x+2@example.com", "x+a+b@EXAMPLE.com", "x+@example.com", "x+3@example.com"]
      const endpoints = ["/sign-in/magic-link", "/request-password-reset", "/send-verification-email", "/forget-password", "/sign-in/magic-link", "/sign-in/magic-link"]
      const minute = spellings.map((email, i) => ({ endpoint: endpoints[i]!, body: { email }, ip: `198.51.100.${i + 1}` }))
      expect(yield* run(minute)).toEqual(["ok", "ok", "ok", "ok", "ok", 429])
      // Another mailbox has its own.
      expect(yield* run([{ endpoint: "/sign-in/magic-link", body: { email: "y+1@example.com" } }])).toEqual(["ok"])
      // 5 a minute for three more minutes reaches 20; the fifth minute is refused by the hour.
      for (let m = 1; m <= 3; m++) {
        yield* TestClock.adjust("1 minute")
        expect(yield* run(times(5, { endpoint: "/sign-in/magic-link", body: { email: `x+m${m}@example.com` } }))).toEqual(Array(5).fill("ok"))
      }
      yield* TestClock.adjust("1 minute")
      expect(yield* run(times(1, { endpoint: "/sign-in/magic-link", body: { email: "x@example.com" } }))).toEqual([429])
      yield* TestClock.adjust("1 hour")
      expect(yield* run(times(1, { endpoint: "/sign-in/magic-link", body: { email: "x@example.com" } }))).toEqual(["ok"])
    }).pipe(Effect.provide(Live)))

  it.effect("routes with no budget, and bodies that name no account, are admitted without a count", () =>
    Effect.gen(function*() {
      expect(yield* run(times(12, { endpoint: "/get-session" }))).toEqual(Array(12).fill("ok"))
      expect(yield* run(times(6, { endpoint: "/sign-in/social", body: { provider: "x" } }))).toEqual(Array(6).fill("ok"))
    }).pipe(Effect.provide(Live)))
})

describe("mailboxes", () => {
  it("one mailbox whatever the case or the +tag; other addresses stay apart", () => {
    expect(["Ada@Example.com", "ada+news@example.com", "ADA+x+y@EXAMPLE.COM", "ada+@example.com"].map(mailboxOf)).toEqual(Array(4).fill("ada@example.com"))
    expect(["ada.b@example.com", "ada@example.org", "+ada@example.com", "a+da@x@example.com"].map(mailboxOf))
      .toEqual(["ada.b@example.com", "ada@example.org", "+ada@example.com", "a@example.com"])
  })
})

describe("budgets in the answer's headers: the client's own, not other people's", () => {
  /** The rate-limit fields of one attempt's verdict (a refusal's included), and its status. */
  const fields = (a: Attempt) =>
    Effect.gen(function*() {
      const check = yield* makeCheck("/api/auth")
      const verdict = yield* check({
        endpoint: a.endpoint,
        body: a.body ?? {},
        valid: a.valid ?? true,
        headers: new Headers({ "cf-connecting-ip": a.ip ?? "203.0.113.7" }),
        user: Effect.succeed(Option.fromNullable(a.user))
      })
      if (verdict._tag === "Admitted") return { status: "ok", ...verdict.headers }
      return { status: verdict.response.status, policy: verdict.response.headers.get("ratelimit-policy"), ratelimit: verdict.response.headers.get("ratelimit") }
    })
  const signIn = (email: string, ip: string): Attempt => ({ endpoint: "/sign-in/email", body: { email, password: "x" }, ip })
  const reset = (email: string, ip: string): Attempt => ({ endpoint: "/request-password-reset", body: { email }, ip })

  it.effect("an address in use and one never seen get the same fields: the account's and the mailbox's budgets are not shown", () =>
    Effect.gen(function*() {
      // The owner's own activity this minute: two sign-ins, a reset request.
      yield* run([signIn("ada@example.com", "198.51.100.1"), signIn("ada@example.com", "198.51.100.2"), reset("ada@example.com", "198.51.100.3")])
      const used = yield* fields(signIn("ada@example.com", "192.0.2.1"))
      const unseen = yield* fields(signIn("nobody@example.com", "192.0.2.2"))
      expect(used).toEqual({ status: "ok", "ratelimit-policy": `"password-address";q=10;w=60`, ratelimit: `"password-address";r=9;t=60` })
      expect(unseen).toEqual(used)
      expect(yield* fields(reset("ada@example.com", "192.0.2.3"))).toEqual({ status: "ok" })
      expect(yield* fields(reset("nobody@example.com", "192.0.2.4"))).toEqual({ status: "ok" })
    }).pipe(Effect.provide(Live)))

  it.effect("the signed-in user sees their own account's budget", () =>
    Effect.gen(function*() {
      expect(yield* fields({ endpoint: "/verify-password", user: ada, ip: "192.0.2.5" })).toEqual({
        status: "ok",
        "ratelimit-policy": `"password-address";q=10;w=60, "password-account";q=5;w=60`,
        ratelimit: `"password-address";r=9;t=60, "password-account";r=4;t=60`
      })
    }).pipe(Effect.provide(Live)))

  it.effect("a refusal names the bucket that refused, which every address gets alike once it is spent", () =>
    Effect.gen(function*() {
      yield* run(times(5, { endpoint: "/sign-in/email", body: { email: "ada@example.com", password: "x" } }))
      expect(yield* fields(signIn("ada@example.com", "192.0.2.6"))).toEqual({
        status: 429,
        policy: `"password-address";q=10;w=60, "password-account";q=5;w=60`,
        ratelimit: `"password-address";r=9;t=60, "password-account";r=0;t=60`
      })
      yield* run(times(5, { endpoint: "/sign-in/magic-link", body: { email: "x@example.com" } }))
      expect(yield* fields({ endpoint: "/sign-in/magic-link", body: { email: "x@example.com" }, ip: "192.0.2.7" })).toEqual({
        status: 429,
        policy: `"mail";q=5;w=60`,
        ratelimit: `"mail";r=0;t=60`
      })
    }).pipe(Effect.provide(Live)))
})
