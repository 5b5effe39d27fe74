/**
 * Builds a `KvService` from a backend's primitive operations: every layer validates input with the
 * same code before its backend is reached, and shares one implementation of the JSON helpers.
 *
 * A backend that can also answer as plain promises (`KvBinding`) passes those primitives too; the
 * library's hot paths then read and write through `plain` without a fiber per call, validated and
 * counted by the same code (see `PlainFace`).
 *
 * @module
 */
import { Clock, Effect, Either, Metric, Option, Runtime } from "effect"
import { jsonCodec, schemaError } from "./Kv.js"
import type { KvBackend, KvBackendGetOptions, KvBackendPutOptions, KvPutOptions, KvService, KvValueWithMetadata } from "./Kv.js"
import { validateGet, validateGetMany, validateKey, validateList, validatePut } from "./KvValidation.js"
import { keyspaceOf, keyspaces, kvOperations } from "./Metrics.js"
import { runPromise } from "./Isolated.js"
import { faceKind } from "./PlainFace.js"

/** Counts an operation that reached the backend, reads and writes apart, by the keyspace of `key`. */
const counted = (operation: string, kind: "read" | "write") => {
  const metrics = new Map([...keyspaces, "other"].map((keyspace) => [keyspace, kvOperations(operation, kind, keyspace)]))
  const increments = new Map([...metrics].map(([keyspace, metric]) => [keyspace, Metric.increment(metric)]))
  return {
    effect: <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) => Effect.zipRight(increments.get(keyspaceOf(key))!, effect),
    /** The same count, from promise code (what `Metric.increment` does, with no fiber's labels). */
    now: (key: string) => metrics.get(keyspaceOf(key))!.unsafeUpdate(1, [])
  }
}
const countGet = counted("get", "read")
const countGetMany = counted("getMany", "read")
const countList = counted("list", "read")
const countPut = counted("put", "write")
const countDelete = counted("delete", "write")

/** A backend's single read and write as promises, rejecting with `KvError`. */
export interface KvPlainBackend {
  readonly get: (key: string, options: KvBackendGetOptions) => Promise<Option.Option<KvValueWithMetadata>>
  readonly put: (key: string, value: Uint8Array | string, options: KvBackendPutOptions) => Promise<void>
}

/** Kv's `getWithMetadata` and `put` as promises, rejecting with `KvError`: the hot paths' face. */
export interface KvPlain {
  readonly getWithMetadata: (key: string) => Promise<Option.Option<KvValueWithMetadata>>
  readonly put: (key: string, value: string, options?: KvPutOptions) => Promise<void>
}

const plainBackends = faceKind<KvService, KvPlainBackend>()

export const make = (backend: KvBackend, plainBackend?: KvPlainBackend): KvService => {
  const getWithMetadata: KvService["getWithMetadata"] = (key, options) =>
    Effect.flatMap(validateGet(key, options), ([key, options]) => countGet.effect(key, backend.get(key, options)))

  const get: KvService["get"] = (key, options) =>
    Effect.map(getWithMetadata(key, options), Option.map((entry) => entry.value))

  const put: KvService["put"] = (key, value, options) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(validatePut(key, value, options, Math.floor(now / 1000)), (normalised) =>
        countPut.effect(key, backend.put(key, value instanceof ArrayBuffer ? new Uint8Array(value) : value, normalised))
      )
    )

  const service: KvService = {
    get,
    getWithMetadata,
    getJson: (key, schema, options) => {
      const { decode } = jsonCodec(schema)
      return Effect.flatMap(get(key, options), (text) =>
        Option.isNone(text)
          ? Effect.succeed(Option.none())
          : decode(text.value).pipe(
            Effect.map(Option.some),
            Effect.mapError((error) => schemaError(key, "decode", error))
          ))
    },
    getMany: (keys, options) =>
      Effect.flatMap(validateGetMany(keys, options), ([keys, options]) => countGetMany.effect(keys[0] ?? "", backend.getMany(keys, options))),
    put,
    putJson: (key, schema, value, options) =>
      jsonCodec(schema).encode(value).pipe(
        Effect.mapError((error) => schemaError(key, "encode", error)),
        Effect.flatMap((json) => put(key, json, options))
      ),
    delete: (key) => Effect.flatMap(validateKey("delete", key), (key) => countDelete.effect(key, backend.delete(key))),
    list: (options) => Effect.flatMap(validateList(options), (options) => countList.effect(options.prefix ?? "", backend.list(options)))
  }
  return plainBackend === undefined ? service : plainBackends.attach(service, plainBackend)
}

/**
 * `kv`'s plain face, with time (for `put`'s validation) from `runtime`'s Clock: the backend's own
 * promises when it has them, validated and counted here as `make` does; otherwise `kv`'s Effects,
 * each run on `runtime` (the in-memory Kv, the fault and replication wrappers, a test's own Kv), so
 * `TestClock` and every injected fault drive the hot paths in tests exactly as they drive Kv.
 */
export const plain = (kv: KvService, runtime: Runtime.Runtime<never>): KvPlain => {
  const backend = plainBackends.of(kv)
  if (backend === undefined) {
    return {
      getWithMetadata: (key) => runPromise(runtime, kv.getWithMetadata(key)),
      put: (key, value, options) => runPromise(runtime, kv.put(key, value, options))
    }
  }
  const clock = Runtime.runSync(runtime, Effect.clock)
  return {
    getWithMetadata: (key) => {
      const valid = validateGet(key, undefined)
      if (Either.isLeft(valid)) return Promise.reject(valid.left)
      countGet.now(key)
      return backend.get(key, valid.right[1])
    },
    put: (key, value, options) => {
      const valid = validatePut(key, value, options, Math.floor(clock.unsafeCurrentTimeMillis() / 1000))
      if (Either.isLeft(valid)) return Promise.reject(valid.left)
      countPut.now(key)
      return backend.put(key, value, valid.right)
    }
  }
}
