/**
 * The Durable Object and Rate Limiting binding backends inside workerd: the shared conformance
 * cases on the real bindings (real clock), the object's counting on its real SQLite storage under
 * TestClock, its alarm cleanup, and exactness under concurrency from several isolates' clients.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test"
import { Effect, Either, Layer, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import * as KvBinding from "../../src/layers/KvBinding.js"
import * as RateLimiterBinding from "../../src/layers/RateLimiterBinding.js"
import * as RateLimiterDurableObject from "../../src/layers/RateLimiterDurableObject.js"
import type { RateLimiterObject } from "../../src/layers/RateLimiterDurableObject.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import type { RateLimitPolicy, RateLimiterService } from "../../src/services/RateLimiter.js"
import { awayFromWindowEdge } from "../http/helpers.js"
import { limiterCases } from "./RateLimiterConformance.js"

const bindings = () =>
  Either.getOrThrow(RateLimiterBinding.plan(
    [{ rule: "five", policy: { limit: 5, window: "60 seconds" } }, { rule: "three", policy: { limit: 3, window: "60 seconds" } }],
    env as unknown as Record<string, unknown>
  ))

const backends: ReadonlyArray<readonly [string, () => Layer.Layer<RateLimiter>]> = [
  ["durable-object", () => RateLimiterDurableObject.layer(env.RATE_LIMITER)],
  ["binding", () => RateLimiterBinding.layer(bindings())],
  ["kv", () => RateLimiterKv.layer.pipe(Layer.provide(KvBinding.layer(env.KV)))]
]

for (const [name, layer] of backends) {
  describe(`RateLimiter conformance in workerd: ${name}`, () => {
    for (const c of limiterCases.filter((c) => !c.movesClock)) {
      it(c.name, async () => {
        await awayFromWindowEdge()
        const key = `conformance:${crypto.randomUUID()}`
        await Effect.runPromise(Effect.flatMap(RateLimiter, (limiter) => c.run(limiter, key)).pipe(Effect.provide(layer())))
      })
    }
  })
}

const at = (millis: number) => TestClock.setTime(millis)
const start = Date.UTC(2026, 10, 28, 12, 0, 0)
const underTestClock = <A>(effect: Effect.Effect<A>) => Effect.runPromise(Effect.provide(effect, TestContext.TestContext))

describe("RateLimiterObject: its counting on its own SQLite storage, under TestClock", () => {
  it("fixed and sliding windows, with nothing but the object's storage between requests", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`clock:${crypto.randomUUID()}`))
    await runInDurableObject(stub, async (object: RateLimiterObject, state) => {
      const fixed: RateLimitPolicy = { limit: 2, window: "60 seconds" }
      const sliding: RateLimitPolicy = { limit: 2, window: "60 seconds", algorithm: "sliding-window" }
      const allowed = (policy: RateLimitPolicy, ms: number) =>
        underTestClock(Effect.zipRight(at(start + ms), Effect.map(object.count(policy), (c) => c.decision.allowed)))
      const sequence = async (policy: RateLimitPolicy, times: ReadonlyArray<number>) => {
        const out: Array<boolean> = []
        for (const t of times) out.push(await allowed(policy, t))
        return out
      }
      expect(await sequence(fixed, [50_000, 59_000, 59_999])).toEqual([true, true, false])
      expect(await sequence(fixed, [60_000, 61_000, 62_000])).toEqual([true, true, false])
      expect(await sequence(sliding, [50_000, 59_000, 61_000])).toEqual([true, true, false])
      expect(await sequence(sliding, [109_999, 110_000, 110_001])).toEqual([false, true, false])
      const rows = state.storage.sql.exec<{ policy: string }>("SELECT policy FROM counters ORDER BY policy").toArray()
      expect(rows.map((r) => r.policy)).toEqual(["fixed-window:2:60000", "sliding-window:2:60000"])
    })
  })

  it("a count schedules the cleanup alarm at its window's end; cleanup waits for it", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`alarm:${crypto.randomUUID()}`))
    const response = await stub.fetch("https://rate-limiter.internal/consume", {
      method: "POST",
      body: JSON.stringify({ limit: 5, windowMillis: 10_000, algorithm: "fixed-window" })
    })
    expect(await response.json()).toMatchObject({ allowed: true, limit: 5, remaining: 4 })
    await runInDurableObject(stub, async (object: RateLimiterObject, state) => {
      const alarm = await state.storage.getAlarm()
      expect(alarm).not.toBeNull()
      expect(alarm! % 10_000).toBe(0) // the end of the epoch-aligned window
      expect(alarm! - Date.now()).toBeLessThanOrEqual(10_000)
      // Just before the window ends nothing goes; at its end, the row does.
      expect(await underTestClock(Effect.zipRight(at(alarm! - 1), object.cleanup))).toBe(alarm)
      expect(state.storage.sql.exec("SELECT * FROM counters").toArray()).toHaveLength(1)
      expect(await underTestClock(Effect.zipRight(at(alarm!), object.cleanup))).toBeUndefined()
      expect(state.storage.sql.exec("SELECT * FROM counters").toArray()).toHaveLength(0)
    })
  })

  it("the alarm deletes ended windows, reschedules for the rest, and leaves an idle object with no storage", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`alarm2:${crypto.randomUUID()}`))
    const later = Date.now() + 3_600_000
    await runInDurableObject(stub, async (_object: RateLimiterObject, state) => {
      const sql = state.storage.sql
      sql.exec("CREATE TABLE IF NOT EXISTS counters (policy TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at INTEGER NOT NULL)")
      sql.exec("INSERT INTO counters VALUES ('ended', '{\"_tag\":\"Fixed\",\"windowStart\":0,\"count\":1}', ?)", Date.now() - 1)
      sql.exec("INSERT INTO counters VALUES ('live', '{\"_tag\":\"Fixed\",\"windowStart\":0,\"count\":1}', ?)", later)
      await state.storage.setAlarm(Date.now() + 1_000)
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    await runInDurableObject(stub, async (_object: RateLimiterObject, state) => {
      expect(state.storage.sql.exec<{ policy: string }>("SELECT policy FROM counters").toArray()).toEqual([{ policy: "live" }])
      expect(await state.storage.getAlarm()).toBe(later)
      state.storage.sql.exec("UPDATE counters SET expires_at = ?", Date.now() - 1)
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    await runInDurableObject(stub, async (_object: RateLimiterObject, state) => {
      const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'counters'").toArray()
      expect(tables).toEqual([])
      expect(await state.storage.getAlarm()).toBeNull()
    })
    // And it counts again afterwards, from zero.
    const response = await stub.fetch("https://rate-limiter.internal/consume", {
      method: "POST",
      body: JSON.stringify({ limit: 1, windowMillis: 60_000, algorithm: "sliding-window" })
    })
    expect(await response.json()).toMatchObject({ allowed: true, remaining: 0 })
  })

  it("an object that fails is Unavailable to the client, never a defect", async () => {
    const failing = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response("no", { status: 500 }) }) }
    const error = await Effect.runPromise(Effect.flip(
      RateLimiterDurableObject.make(failing as unknown as DurableObjectNamespace).consume("k", { limit: 1, window: "60 seconds" })
    ))
    expect(error).toMatchObject({ _tag: "RateLimiterError", reason: "Unavailable" })
  })
})

describe("exactness across isolates (limit 5 per 60 s)", () => {
  it("40 concurrent requests through 4 isolates' clients admit exactly 5, and a second burst none", async () => {
    await awayFromWindowEdge()
    const key = `accuracy:${crypto.randomUUID()}`
    const clients: Array<RateLimiterService> = Array.from({ length: 4 }, () => RateLimiterDurableObject.make(env.RATE_LIMITER))
    const policy: RateLimitPolicy = { limit: 5, window: "60 seconds" }
    const burst = () =>
      Effect.runPromise(Effect.all(
        Array.from({ length: 40 }, (_, i) => clients[i % 4]!.consume(key, policy)),
        { concurrency: "unbounded" }
      ))
    const first = await burst()
    expect(first.filter((d) => d.allowed)).toHaveLength(5)
    expect(first.filter((d) => d.allowed).map((d) => d.remaining).sort()).toEqual([0, 1, 2, 3, 4])
    const second = await burst()
    expect(second.filter((d) => d.allowed)).toHaveLength(0)
  })
})
