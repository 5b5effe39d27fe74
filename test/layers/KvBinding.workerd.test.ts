import { env } from "cloudflare:test"
import { Effect, Layer, Metric, Option, Runtime } from "effect"
import { describe, expect, it } from "vitest"
import * as KvBinding from "../../src/layers/KvBinding.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import { Kv, KvError } from "../../src/services/Kv.js"
import type { KvService } from "../../src/services/Kv.js"
import { kvOperations } from "../../src/services/Metrics.js"
import { cases, runCase } from "./KvConformance.js"

const run = <A, E>(effect: Effect.Effect<A, E, Kv>, layer: Layer.Layer<Kv>) => Effect.runPromise(Effect.provide(effect, layer))

// Each test gets its own isolated copy of the KV namespace (vitest-pool-workers' isolated storage).
describe("KvBinding over Miniflare's KV: conformance, side by side with KvMemory", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const onBinding = await run(runCase(c), KvBinding.layer(env.KV))
      const onMemory = await run(runCase(c), KvMemory.layer)
      expect(onMemory).toEqual(onBinding)
    })
  }
})

/**
 * Invalid input sent straight to the binding, bypassing our validation, must fail with the very
 * message our validation gives before any I/O.
 */
const now = () => Math.floor(Date.now() / 1000)
const raw: ReadonlyArray<{
  readonly name: string
  readonly ours: (kv: KvService) => Effect.Effect<unknown, unknown>
  readonly binding: (kv: KVNamespace) => Promise<unknown>
}> = [
  { name: "get ''", ours: (kv) => kv.get(""), binding: (kv) => kv.get("") },
  { name: "get '..'", ours: (kv) => kv.get(".."), binding: (kv) => kv.get("..") },
  { name: "delete '.'", ours: (kv) => kv.delete("."), binding: (kv) => kv.delete(".") },
  { name: "get 513 bytes", ours: (kv) => kv.get("a".repeat(513)), binding: (kv) => kv.get("a".repeat(513)) },
  { name: "put 514 bytes", ours: (kv) => kv.put("é".repeat(257), "v"), binding: (kv) => kv.put("é".repeat(257), "v") },
  { name: "delete lone surrogate", ours: (kv) => kv.delete("a\uDC00"), binding: (kv) => kv.delete("a\uDC00") },
  { name: "ttl 30", ours: (kv) => kv.put("k", "v", { expirationTtl: 30 }), binding: (kv) => kv.put("k", "v", { expirationTtl: 30 }) },
  { name: "ttl -1", ours: (kv) => kv.put("k", "v", { expirationTtl: -1 }), binding: (kv) => kv.put("k", "v", { expirationTtl: -1 }) },
  { name: "ttl 3e9", ours: (kv) => kv.put("k", "v", { expirationTtl: 3e9 }), binding: (kv) => kv.put("k", "v", { expirationTtl: 3e9 }) },
  {
    name: "expiration in the past",
    ours: (kv) => kv.put("k", "v", { expiration: now() - 100 }),
    binding: (kv) => kv.put("k", "v", { expiration: now() - 100 })
  },
  {
    name: "expiration 10 s ahead",
    ours: (kv) => kv.put("k", "v", { expiration: now() + 10 }),
    binding: (kv) => kv.put("k", "v", { expiration: now() + 10 })
  },
  {
    name: "metadata 1100 bytes",
    ours: (kv) => kv.put("k", "v", { metadata: { a: "x".repeat(1100) } }),
    binding: (kv) => kv.put("k", "v", { metadata: { a: "x".repeat(1100) } })
  },
  {
    name: "value 25 MiB + 1",
    ours: (kv) => kv.put("k", "x".repeat(25 * 1024 * 1024 + 1)),
    binding: (kv) => kv.put("k", "x".repeat(25 * 1024 * 1024 + 1))
  },
  { name: "list limit 1001", ours: (kv) => kv.list({ limit: 1001 }), binding: (kv) => kv.list({ limit: 1001 }) },
  { name: "list prefix 600", ours: (kv) => kv.list({ prefix: "p".repeat(600) }), binding: (kv) => kv.list({ prefix: "p".repeat(600) }) },
  { name: "getMany []", ours: (kv) => kv.getMany([]), binding: (kv) => kv.get([]) },
  {
    name: "getMany 101",
    ours: (kv) => kv.getMany(Array.from({ length: 101 }, (_, i) => `k${i}`)),
    binding: (kv) => kv.get(Array.from({ length: 101 }, (_, i) => `k${i}`))
  },
  { name: "getMany ['.']", ours: (kv) => kv.getMany(["."]), binding: (kv) => kv.get(["."]) },
  { name: "get cacheTtl 10", ours: (kv) => kv.get("k", { cacheTtl: 10 }), binding: (kv) => kv.get("k", { cacheTtl: 10 }) },
  { name: "get cacheTtl NaN", ours: (kv) => kv.get("k", { cacheTtl: NaN }), binding: (kv) => kv.get("k", { cacheTtl: NaN }) },
  { name: "get cacheTtl 29.9", ours: (kv) => kv.get("k", { cacheTtl: 29.9 }), binding: (kv) => kv.get("k", { cacheTtl: 29.9 }) },
  { name: "get cacheTtl 3e9", ours: (kv) => kv.get("k", { cacheTtl: 3e9 }), binding: (kv) => kv.get("k", { cacheTtl: 3e9 }) },
  {
    name: "getWithMetadata cacheTtl -1",
    ours: (kv) => kv.getWithMetadata("k", { cacheTtl: -1 }),
    binding: (kv) => kv.getWithMetadata("k", { cacheTtl: -1 })
  },
  {
    name: "getMany cacheTtl Infinity",
    ours: (kv) => kv.getMany(["k"], { cacheTtl: Infinity }),
    binding: (kv) => kv.get(["k"], { type: "text", cacheTtl: Infinity })
  }
]

describe("our validation gives the binding's own messages", () => {
  for (const c of raw) {
    it(c.name, async () => {
      // A conversion failure is thrown synchronously by some methods, rejected by others.
      const thrown = await Promise.resolve().then(() => c.binding(env.KV)).then(
        () => expect.unreachable("the binding accepted invalid input"),
        (e: unknown) => (e as Error).message
      )
      for (const layer of [KvBinding.layer(env.KV), KvMemory.layer]) {
        const error = await run(Effect.flip(Effect.flatMap(Kv, c.ours)), layer) as KvError
        expect(error.message).toBe(thrown)
      }
    })
  }
})

describe("KvBinding: the binding's failures become KvError", () => {
  const failing = (error: unknown): KVNamespace =>
    new Proxy({} as KVNamespace, { get: () => () => Promise.reject(error) })

  it("a 429 from a put is WriteRateLimited", async () => {
    const error = await run(
      Effect.flip(Effect.flatMap(Kv, (kv) => kv.put("k", "v"))),
      KvBinding.layer(failing(new Error("KV PUT failed: 429 Too Many Requests")))
    )
    expect(error).toMatchObject({ _tag: "KvError", operation: "put", reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
  })

  it("a network failure is Unavailable, with a KV-style message and the cause kept", async () => {
    const cause = new Error("Network connection lost.")
    const error = await run(Effect.flip(Effect.flatMap(Kv, (kv) => kv.get("k"))), KvBinding.layer(failing(cause)))
    expect(error).toMatchObject({ reason: "Unavailable", operation: "get", message: "KV GET failed: Network connection lost." })
    expect((error as KvError).cause).toBe(cause)
  })

  it("a 503 from list is Unavailable", async () => {
    const error = await run(
      Effect.flip(Effect.flatMap(Kv, (kv) => kv.list())),
      KvBinding.layer(failing(new Error("KV GET failed: 503 Service Unavailable")))
    )
    expect(error).toMatchObject({ reason: "Unavailable", operation: "list" })
  })

  it("a non-Error rejection is still a KvError, never a defect", async () => {
    const error = await run(Effect.flip(Effect.flatMap(Kv, (kv) => kv.delete("k"))), KvBinding.layer(failing("boom")))
    expect(error).toMatchObject({ _tag: "KvError", reason: "Unavailable", message: "KV DELETE failed: boom" })
  })
})

describe("KvBinding, every operation", () => {
  it("a binding that throws instead of rejecting still fails with a KvError", async () => {
    const throwing = KvBinding.make(new Proxy({} as KVNamespace, { get: () => () => { throw new Error("boom") } }))
    const error = await Effect.runPromise(Effect.flip(throwing.getWithMetadata("k")))
    expect(error).toMatchObject({ _tag: "KvError", operation: "get", reason: "Unavailable", message: "KV GET failed: boom" })
  })

  it("counts what reaches the binding in kv_operations_total, by keyspace", async () => {
    const kv = KvBinding.make(env.KV)
    const reads = () => Effect.runSync(Metric.value(kvOperations("get", "read", "session"))).count
    const writes = () => Effect.runSync(Metric.value(kvOperations("put", "write", "session"))).count
    const [r, w] = [reads(), writes()]
    await Effect.runPromise(kv.put("session:counted", "1"))
    await Effect.runPromise(kv.getWithMetadata("session:counted"))
    await Effect.runPromise(kv.get("session:counted"))
    // Refused before any I/O: not counted.
    await Effect.runPromise(Effect.flip(kv.put("session:counted", "1", { expirationTtl: 30 })))
    expect([reads() - r, writes() - w]).toEqual([2, 1])
  })
})
