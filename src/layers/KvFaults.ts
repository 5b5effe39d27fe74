/**
 * A fault-injecting Kv, wrapped around the Kv in context: failures at a given rate, added latency,
 * and write-rate 429s, as production KV can produce them. Randomness comes from Effect's `Random`
 * and delays from its `Clock`, so tests control both (`TestRandom`, `TestClock`).
 *
 * ```ts
 * const flaky = KvFaults.layer({ errorRate: 0.2, latency: "50 millis" }).pipe(Layer.provide(KvMemory.layer))
 * ```
 *
 * @module
 */
import { Duration, Effect, Layer, Random } from "effect"
import { Kv, KvError } from "../services/Kv.js"
import type { KvOperation, KvService } from "../services/Kv.js"
import { kvFailedMessage } from "../services/KvValidation.js"

export interface KvFaultOptions {
  /** Chance (0 to 1) that an operation fails with `Unavailable`. Default 0. */
  readonly errorRate?: number
  /** Added before every operation. Default none. */
  readonly latency?: Duration.DurationInput
  /** Chance (0 to 1) that a `put` fails with `WriteRateLimited` (KV's 429). Default 0. */
  readonly writeRateLimitRate?: number
  /** The operations faults apply to. Default all. */
  readonly operations?: ReadonlyArray<KvOperation>
}

/** Wraps `kv` so that its operations fail and slow down as `options` says. */
export const wrap = (kv: KvService, options: KvFaultOptions): KvService => {
  const affected = new Set<KvOperation>(options.operations ?? ["get", "put", "delete", "list"])
  const latency = options.latency === undefined ? undefined : Duration.decode(options.latency)
  const chance = (rate: number | undefined) =>
    rate === undefined || rate <= 0 ? Effect.succeed(false) : Effect.map(Random.next, (x) => x < rate)

  const faulty = (operation: KvOperation) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | KvError, R> => {
    if (!affected.has(operation)) return effect
    return Effect.gen(function*() {
      if (latency !== undefined) yield* Effect.sleep(latency)
      if (operation === "put" && (yield* chance(options.writeRateLimitRate))) {
        return yield* Effect.fail(
          new KvError({ operation, reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
        )
      }
      if (yield* chance(options.errorRate)) {
        return yield* Effect.fail(
          new KvError({ operation, reason: "Unavailable", message: kvFailedMessage(operation, "503 Service Unavailable") })
        )
      }
      return yield* effect
    })
  }

  return {
    get: (key, getOptions) => faulty("get")(kv.get(key, getOptions)),
    getJson: (key, schema, getOptions) => faulty("get")(kv.getJson(key, schema, getOptions)),
    getWithMetadata: (key, getOptions) => faulty("get")(kv.getWithMetadata(key, getOptions)),
    getMany: (keys, getOptions) => faulty("get")(kv.getMany(keys, getOptions)),
    put: (key, value, putOptions) => faulty("put")(kv.put(key, value, putOptions)),
    putJson: (key, schema, value, putOptions) => faulty("put")(kv.putJson(key, schema, value, putOptions)),
    delete: (key) => faulty("delete")(kv.delete(key)),
    list: (listOptions) => faulty("list")(kv.list(listOptions))
  }
}

/** The Kv in context, with faults. */
export const layer = (options: KvFaultOptions): Layer.Layer<Kv, never, Kv> =>
  Layer.effect(Kv, Effect.map(Kv, (kv) => wrap(kv, options)))
