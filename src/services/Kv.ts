/**
 * Workers KV as an Effect service.
 *
 * The interface mirrors `KVNamespace`, with its results as values (`Option` for a missing key) and
 * its failures as typed errors. Two layers implement it: `layers/KvBinding` over a real
 * `KVNamespace`, and `layers/KvMemory`, an in-memory store that takes time from Effect's `Clock`
 * so `TestClock` moves expiry. Both are built from their backend's primitives by `KvBackend.make`,
 * so they validate input with the same code (`KvValidation`) and fail with the same reasons and
 * messages as real KV.
 *
 * @module
 */
import { Context, Effect, Option, Schema } from "effect"
import type { ParseResult } from "effect"
import { perSchema } from "./SchemaCache.js"

/** The KV operation that failed, as named by Cloudflare's error messages. */
export const KvOperation = Schema.Literal("get", "put", "delete", "list")
export type KvOperation = typeof KvOperation.Type

/** Why a KV operation failed: a caller matches on this, never on the message. */
export const KvErrorReason = Schema.Literal(
  "InvalidKey",
  "KeyTooLong",
  "InvalidExpiration",
  "InvalidCacheTtl",
  "ValueTooLarge",
  "MetadataTooLarge",
  "InvalidMetadata",
  "InvalidListLimit",
  "InvalidBulkGet",
  "WriteRateLimited",
  "Unavailable"
)
export type KvErrorReason = typeof KvErrorReason.Type

/**
 * A failed KV operation. `message` is the text real Workers KV gives for the same failure, e.g.
 * `KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.`
 */
export class KvError extends Schema.TaggedError<KvError>()("KvError", {
  operation: KvOperation,
  reason: KvErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * What a store built on Kv reports when KV fails: a write KV refused for its one-write-per-second
 * limit (worth retrying later), or anything else, which is KV being unavailable.
 */
export const storeFailureReason = (error: KvError): "WriteRateLimited" | "Unavailable" =>
  error.reason === "WriteRateLimited" ? "WriteRateLimited" : "Unavailable"

/** A stored value that did not match the schema it was read or written with. */
export class KvSchemaError extends Schema.TaggedError<KvSchemaError>()("KvSchemaError", {
  key: Schema.String,
  direction: Schema.Literal("decode", "encode"),
  message: Schema.String
}) {}

/** What `put` accepts, as `KVNamespace.put` does. */
export type KvValue = string | ArrayBuffer | Uint8Array

export interface KvPutOptions {
  /** Seconds from now; at least 60. Wins over `expiration` when both are given, as in KV. */
  readonly expirationTtl?: number | undefined
  /** Absolute expiry in seconds since the epoch; at least 60 s in the future. */
  readonly expiration?: number | undefined
  /** Any JSON-serialisable value, at most 1024 bytes once serialised. `null` means none. */
  readonly metadata?: unknown
}

/** Options of a read, as `KVNamespace.get` takes them. */
export interface KvGetOptions {
  /**
   * How long, in seconds, the location serving the read may keep the result (a value or an
   * absence) in its cache before asking the central store again. At least 30; KV's default is 60.
   * A longer TTL means cheaper, faster reads that may be staler (see `layers/KvReplicated`).
   */
  readonly cacheTtl?: number | undefined
}

export interface KvValueWithMetadata {
  readonly value: string
  /** The metadata as stored (after a JSON round trip), or `None` if the key has none. */
  readonly metadata: Option.Option<unknown>
}

export interface KvListOptions {
  readonly prefix?: string | undefined
  /** 1 to 1000; defaults to 1000. */
  readonly limit?: number | undefined
  /** The `cursor` of the previous page. */
  readonly cursor?: string | undefined
}

export interface KvListKey {
  readonly name: string
  /** Absolute expiry in seconds since the epoch. */
  readonly expiration?: number
  readonly metadata?: unknown
}

export interface KvListResult {
  readonly keys: ReadonlyArray<KvListKey>
  readonly list_complete: boolean
  readonly cursor?: string
}

export interface KvService {
  /** The value of `key` as text, or `None`. */
  readonly get: (key: string, options?: KvGetOptions) => Effect.Effect<Option.Option<string>, KvError>
  /** The value of `key` parsed as JSON and decoded with `schema`, or `None`. */
  readonly getJson: <A, I, R>(
    key: string,
    schema: Schema.Schema<A, I, R>,
    options?: KvGetOptions
  ) => Effect.Effect<Option.Option<A>, KvError | KvSchemaError, R>
  readonly getWithMetadata: (
    key: string,
    options?: KvGetOptions
  ) => Effect.Effect<Option.Option<KvValueWithMetadata>, KvError>
  /** 1 to 100 keys in one round trip; a missing key maps to `None`. */
  readonly getMany: (
    keys: ReadonlyArray<string>,
    options?: KvGetOptions
  ) => Effect.Effect<ReadonlyMap<string, Option.Option<string>>, KvError>
  readonly put: (key: string, value: KvValue, options?: KvPutOptions) => Effect.Effect<void, KvError>
  /** Encodes `value` with `schema` and stores it as JSON. */
  readonly putJson: <A, I, R>(
    key: string,
    schema: Schema.Schema<A, I, R>,
    value: A,
    options?: KvPutOptions
  ) => Effect.Effect<void, KvError | KvSchemaError, R>
  /** Deleting a missing key succeeds. */
  readonly delete: (key: string) => Effect.Effect<void, KvError>
  /** Keys in UTF-8 byte order, at most `limit` per page. */
  readonly list: (options?: KvListOptions) => Effect.Effect<KvListResult, KvError>
}

/** Workers KV. Provide it with `KvBinding.layer` in a worker or `KvMemory.layer` in tests. */
export class Kv extends Context.Tag("edge-auth-state/Kv")<Kv, KvService>() {}

/** Read options after validation: `cacheTtl` in whole seconds, at least 30, when given. */
export interface KvBackendGetOptions {
  readonly cacheTtl: Option.Option<number>
}

/** Put options after validation: whole seconds, and metadata as its JSON text. */
export interface KvBackendPutOptions {
  readonly expirationTtl: Option.Option<number>
  readonly expiration: Option.Option<number>
  readonly metadataJson: Option.Option<string>
}

export interface KvBackendListOptions {
  readonly prefix: string
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/** The decode failure of a stored value, as a `KvSchemaError`. */
export const schemaError = (
  key: string,
  direction: "decode" | "encode",
  error: ParseResult.ParseError
): KvSchemaError => new KvSchemaError({ key, direction, message: error.message })

/** A schema's value to and from JSON text; `decode` takes unknown input, as read from storage. */
export interface JsonCodec<A, R = never> {
  readonly decode: (text: unknown) => Effect.Effect<A, ParseResult.ParseError, R>
  readonly encode: (value: A) => Effect.Effect<string, ParseResult.ParseError, R>
}

const jsonCodecs = perSchema((schema): JsonCodec<unknown, unknown> => {
  const json = Schema.parseJson(schema)
  return { decode: Schema.decodeUnknown(json), encode: Schema.encode(json) }
})

/** The JSON codec of `schema`, built once per schema (`perSchema`), not on every cache hit. */
export const jsonCodec = <A, I, R>(schema: Schema.Schema<A, I, R>): JsonCodec<A, R> =>
  jsonCodecs(schema) as JsonCodec<A, R>
