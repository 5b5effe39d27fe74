/**
 * Kv over a Workers `KVNamespace` binding.
 *
 * Input is validated before any I/O by the same code as the in-memory layer, and whatever the
 * binding throws becomes a `KvError`: a 429 is `WriteRateLimited`, a limit KV enforces keeps its
 * reason, anything else is `Unavailable`.
 *
 * @module
 */
import { Effect, Layer, Option } from "effect"
import { Kv, KvError } from "../services/Kv.js"
import type { KvErrorReason, KvListKey, KvOperation } from "../services/Kv.js"
import * as KvBackend from "../services/KvBackend.js"
import { kvFailedMessage } from "../services/KvValidation.js"

const reasonOf = (status: number, text: string): KvErrorReason => {
  switch (status) {
    case 429:
      return "WriteRateLimited"
    case 414:
      return "KeyTooLong"
    case 413:
      return text.startsWith("Metadata") ? "MetadataTooLarge" : "ValueTooLarge"
    case 400:
      if (/expiration/i.test(text)) return "InvalidExpiration"
      if (text.includes("cache_ttl")) return "InvalidCacheTtl"
      if (text.includes("key_count_limit")) return "InvalidListLimit"
      if (text.startsWith("You ")) return "InvalidBulkGet"
      if (/key/i.test(text)) return "InvalidKey"
  }
  return "Unavailable"
}

/** Maps what a binding threw to a `KvError`, keeping KV's own message where it gave one. */
export const fromBindingError = (operation: KvOperation, cause: unknown): KvError => {
  const text = cause instanceof Error ? cause.message : String(cause)
  const parsed = /^KV [A-Z_]+ failed: (\d{3}) (.*)$/s.exec(text)
  return new KvError({
    operation,
    reason: parsed ? reasonOf(Number(parsed[1]), parsed[2]!) : "Unavailable",
    message: parsed ? text : kvFailedMessage(operation, text),
    cause
  })
}

const call = <A>(operation: KvOperation, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => fromBindingError(operation, cause) })

const readOptions = (cacheTtl: Option.Option<number>) =>
  Option.match(cacheTtl, { onNone: () => ({}), onSome: (cacheTtl) => ({ cacheTtl }) })

/** A Kv over `binding`. */
export const make = (binding: KVNamespace): Kv["Type"] => {
  const backend: KvBackend.KvBackend = {
    get: (key, { cacheTtl }) =>
      Effect.map(
        call("get", () => binding.getWithMetadata(key, { type: "text", ...readOptions(cacheTtl) })),
        ({ metadata, value }) => (value === null ? Option.none() : Option.some({ value, metadata: Option.fromNullable(metadata as unknown) }))
      ),

    getMany: (keys, { cacheTtl }) =>
      Effect.map(call("get", () => binding.get(keys as Array<string>, { type: "text", ...readOptions(cacheTtl) })), (found) => {
        const result = new Map<string, Option.Option<string>>()
        for (const [key, value] of found) result.set(key, Option.fromNullable(value))
        return result
      }),

    put: (key, value, { expiration, expirationTtl, metadataJson }) =>
      call("put", () =>
        binding.put(key, value, {
          ...Option.match(expirationTtl, { onNone: () => ({}), onSome: (expirationTtl) => ({ expirationTtl }) }),
          ...Option.match(expiration, { onNone: () => ({}), onSome: (expiration) => ({ expiration }) }),
          ...Option.match(metadataJson, { onNone: () => ({}), onSome: (json) => ({ metadata: JSON.parse(json) as unknown }) })
        })),

    delete: (key) => call("delete", () => binding.delete(key)),

    list: ({ cursor, limit, prefix }) =>
      Effect.map(
        call("list", () =>
          binding.list({
            prefix,
            limit,
            ...Option.match(cursor, { onNone: () => ({}), onSome: (cursor) => ({ cursor }) })
          })),
        (result) => {
          const keys = result.keys.map((key): KvListKey => ({
            name: key.name,
            ...(key.expiration === undefined ? {} : { expiration: key.expiration }),
            ...(key.metadata === undefined ? {} : { metadata: key.metadata })
          }))
          return result.list_complete ? { keys, list_complete: true } : { keys, list_complete: false, cursor: result.cursor }
        }
      )
  }
  return KvBackend.make(backend)
}

/** Kv over the given binding. */
export const layer = (binding: KVNamespace): Layer.Layer<Kv> => Layer.succeed(Kv, make(binding))
