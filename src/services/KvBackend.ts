/**
 * What a storage backend implements, and the `KvService` built from it: every backend validates
 * input with the same code before it is reached, and shares one implementation of the JSON
 * helpers and of the operation counters.
 *
 * @module
 */
import { Clock, Effect, Metric, Option } from "effect"
import { jsonCodec, schemaError } from "./Kv.js"
import type { KvBackendGetOptions, KvBackendListOptions, KvBackendPutOptions, KvListResult, KvService, KvValueWithMetadata } from "./Kv.js"
import { KvError } from "./Kv.js"
import { validateGet, validateGetMany, validateKey, validateList, validatePut } from "./KvValidation.js"
import { keyspaceOf, keyspaces, kvOperations } from "./Metrics.js"

/**
 * What a storage backend implements: the primitive operations on input that has already been
 * validated and normalised. `make` turns it into a `KvService`.
 */
export interface KvBackend {
  readonly get: (key: string, options: KvBackendGetOptions) => Effect.Effect<Option.Option<KvValueWithMetadata>, KvError>
  readonly getMany: (
    keys: ReadonlyArray<string>,
    options: KvBackendGetOptions
  ) => Effect.Effect<ReadonlyMap<string, Option.Option<string>>, KvError>
  readonly put: (key: string, value: Uint8Array | string, options: KvBackendPutOptions) => Effect.Effect<void, KvError>
  readonly delete: (key: string) => Effect.Effect<void, KvError>
  readonly list: (options: KvBackendListOptions) => Effect.Effect<KvListResult, KvError>
}

/** Counts an operation that reached the backend, reads and writes apart, by the keyspace of `key`. */
const counted = (operation: string, kind: "read" | "write") => {
  const increments = new Map([...keyspaces, "other"].map((keyspace) => [keyspace, Metric.increment(kvOperations(operation, kind, keyspace))]))
  return <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) => Effect.zipRight(increments.get(keyspaceOf(key))!, effect)
}
const countGet = counted("get", "read")
const countGetMany = counted("getMany", "read")
const countList = counted("list", "read")
const countPut = counted("put", "write")
const countDelete = counted("delete", "write")

/** The `KvService` over `backend`: validated input, JSON helpers, counted operations. */
export const make = (backend: KvBackend): KvService => {
  const getWithMetadata: KvService["getWithMetadata"] = (key, options) =>
    Effect.flatMap(validateGet(key, options), ([key, options]) => countGet(key, backend.get(key, options)))

  const get: KvService["get"] = (key, options) => Effect.map(getWithMetadata(key, options), Option.map((entry) => entry.value))

  const put: KvService["put"] = (key, value, options) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(validatePut(key, value, options, Math.floor(now / 1000)), (normalised) =>
        countPut(key, backend.put(key, value instanceof ArrayBuffer ? new Uint8Array(value) : value, normalised))))

  return {
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
      Effect.flatMap(validateGetMany(keys, options), ([keys, options]) => countGetMany(keys[0] ?? "", backend.getMany(keys, options))),
    put,
    putJson: (key, schema, value, options) =>
      jsonCodec(schema).encode(value).pipe(
        Effect.mapError((error) => schemaError(key, "encode", error)),
        Effect.flatMap((json) => put(key, json, options))
      ),
    delete: (key) => Effect.flatMap(validateKey("delete", key), (key) => countDelete(key, backend.delete(key))),
    list: (options) => Effect.flatMap(validateList(options), (options) => countList(options.prefix ?? "", backend.list(options)))
  }
}
