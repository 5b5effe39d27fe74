/**
 * Builds a `KvService` from a backend's primitive operations: every layer validates input with the
 * same code before its backend is reached, and shares one implementation of the JSON helpers.
 *
 * @module
 */
import { Clock, Effect, Option, Schema } from "effect"
import { schemaError } from "./Kv.js"
import type { KvBackend, KvService } from "./Kv.js"
import { validateBulkKeys, validateKey, validateList, validatePut } from "./KvValidation.js"

export const make = (backend: KvBackend): KvService => {
  const getWithMetadata: KvService["getWithMetadata"] = (key) =>
    Effect.flatMap(validateKey("get", key), backend.get)

  const get: KvService["get"] = (key) =>
    Effect.map(getWithMetadata(key), Option.map((entry) => entry.value))

  const put: KvService["put"] = (key, value, options) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(validatePut(key, value, options, Math.floor(now / 1000)), (normalised) =>
        backend.put(key, value instanceof ArrayBuffer ? new Uint8Array(value) : value, normalised)
      )
    )

  return {
    get,
    getWithMetadata,
    getJson: (key, schema) => {
      const decode = Schema.decode(Schema.parseJson(schema))
      return Effect.flatMap(get(key), (text) =>
        Option.isNone(text)
          ? Effect.succeed(Option.none())
          : decode(text.value).pipe(
            Effect.map(Option.some),
            Effect.mapError((error) => schemaError(key, "decode", error))
          ))
    },
    getMany: (keys) => Effect.flatMap(validateBulkKeys(keys), backend.getMany),
    put,
    putJson: (key, schema, value, options) =>
      Schema.encode(Schema.parseJson(schema))(value).pipe(
        Effect.mapError((error) => schemaError(key, "encode", error)),
        Effect.flatMap((json) => put(key, json, options))
      ),
    delete: (key) => Effect.flatMap(validateKey("delete", key), backend.delete),
    list: (options) => Effect.flatMap(validateList(options), backend.list)
  }
}
