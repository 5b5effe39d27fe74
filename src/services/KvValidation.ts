/**
 * Workers KV's limits, checked before any I/O, with the reasons and messages real KV gives.
 *
 * The checks run in the order workerd runs them: argument conversion, then the binding's own key
 * checks, then the service's (key length, URL decoding, expiration, metadata, value size). The
 * messages were read off workerd's KV binding over Miniflare, case by case.
 *
 * @module
 */
import { Either, Option } from "effect"
import { KvError } from "./Kv.js"
import { hasLoneSurrogate, wtf8Encode, wtf8Length } from "./Wtf8.js"
import type {
  KvBackendGetOptions,
  KvBackendListOptions,
  KvBackendPutOptions,
  KvGetOptions,
  KvListOptions,
  KvOperation,
  KvPutOptions,
  KvValue
} from "./Kv.js"

export const KvLimits = {
  maxKeyBytes: 512,
  maxValueBytes: 25 * 1024 * 1024,
  maxMetadataBytes: 1024,
  minExpirationTtlSeconds: 60,
  minCacheTtlSeconds: 30,
  defaultCacheTtlSeconds: 60,
  maxListLimit: 1000,
  maxBulkGetKeys: 100
} as const

type Result<A> = Either.Either<A, KvError>

/** How workerd names each operation in its error messages. */
const wireName = { get: "GET", put: "PUT", delete: "DELETE", list: "GET" } as const satisfies Record<KvOperation, string>

const fail = (operation: KvOperation, reason: KvError["reason"], message: string): Result<never> =>
  Either.left(new KvError({ operation, reason, message }))

/** A failure message in workerd's words: `KV PUT failed: <text>`. */
export const kvFailedMessage = (operation: KvOperation, text: string): string => `KV ${wireName[operation]} failed: ${text}`

const failed = (operation: KvOperation, status: number, text: string) => kvFailedMessage(operation, `${status} ${text}`)

/** An `expirationTtl` (whole seconds) that lasts at least `seconds`, raised to KV's 60 s minimum. */
export const ttlCovering = (seconds: number): number => Math.max(KvLimits.minExpirationTtlSeconds, Math.ceil(seconds))

const hex = (b: number) => "%" + b.toString(16).toUpperCase().padStart(2, "0")

/**
 * A list prefix as KV matches it: workerd percent-encodes a lone surrogate as its WTF-8 bytes and
 * the service never decodes that, so the prefix holds the escape text literally.
 */
export const listPrefix = (prefix: string): string =>
  hasLoneSurrogate(prefix)
    ? prefix.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (s) => {
        const c = s.charCodeAt(0)
        return hex(0xe0 | (c >> 12)) + hex(0x80 | ((c >> 6) & 0x3f)) + hex(0x80 | (c & 0x3f))
      })
    : prefix

/**
 * workerd converts numeric options to a 32-bit integer: non-finite becomes 0, fractions are
 * truncated, and anything outside the int32 range is rejected.
 */
const toInt32 = (
  operation: KvOperation,
  reason: KvError["reason"],
  n: number
): Result<number> => {
  if (!Number.isFinite(n)) return Either.right(0)
  const t = Math.trunc(n)
  if (t < -2147483648 || t > 2147483647) {
    return fail(operation, reason, "Value out of range. Must be between -2147483648 and 2147483647 (inclusive).")
  }
  return Either.right(t === 0 ? 0 : t)
}

const checkKeyLength = (operation: KvOperation, key: string): Result<string> => {
  const bytes = wtf8Length(key)
  return bytes > KvLimits.maxKeyBytes
    ? fail(
        operation,
        "KeyTooLong",
        failed(operation, 414, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${KvLimits.maxKeyBytes}.`)
      )
    : Either.right(key)
}

/** A key for `get`, `getWithMetadata`, `put` or `delete`. */
export const validateKey = (operation: KvOperation, key: string): Result<string> => {
  if (key === "") return fail(operation, "InvalidKey", "Key name cannot be empty.")
  if (key === "." || key === "..") return fail(operation, "InvalidKey", `"${key}" is not allowed as a key name.`)
  return Either.flatMap(checkKeyLength(operation, key), (key) =>
    hasLoneSurrogate(key) ? fail(operation, "InvalidKey", failed(operation, 400, "Could not URL-decode key name")) : Either.right(key)
  )
}

const bulk = (status: number, text: string) => `KV GET_BULK failed: ${status} ${text}`

const noCacheTtl: KvBackendGetOptions = { cacheTtl: Option.none() }

/**
 * Checks a read's `cacheTtl` in workerd's order: its conversion to a 32-bit integer comes before
 * anything else (`NaN` and `Infinity` become 0, fractions are truncated), the service's minimum
 * after the key checks.
 */
const validateRead = <K>(
  options: KvGetOptions | undefined,
  checkKeys: () => Result<K>,
  message: (text: string) => string
): Result<readonly [K, KvBackendGetOptions]> => {
  const cacheTtl = options?.cacheTtl
  // Most reads name no cacheTtl: their keys are all there is to check.
  if (cacheTtl === undefined) return Either.map(checkKeys(), (keys) => [keys, noCacheTtl] as const)
  return Either.gen(function*() {
    const requested = yield* toInt32("get", "InvalidCacheTtl", cacheTtl)
    const keys = yield* checkKeys()
    if (requested < KvLimits.minCacheTtlSeconds) {
      yield* fail(
        "get",
        "InvalidCacheTtl",
        message(`400 Invalid cache_ttl of ${requested}. Cache TTL must be at least ${KvLimits.minCacheTtlSeconds}.`)
      )
    }
    return [keys, { cacheTtl: Option.some(requested) }] as const
  })
}

/** A single read (`get`, `getWithMetadata`, `getJson`): its key and its options. */
export const validateGet = (key: string, options: KvGetOptions | undefined) =>
  validateRead(options, () => validateKey("get", key), (text) => kvFailedMessage("get", text))

/** A bulk read (`getMany`): its keys and its options. */
export const validateGetMany = (keys: ReadonlyArray<string>, options: KvGetOptions | undefined) =>
  validateRead(options, () => validateBulkKeys(keys), (text) => `KV GET_BULK failed: ${text}`)

/** The keys of a bulk `getMany`: 1 to 100 of them, each a valid key. */
const validateBulkKeys = (keys: ReadonlyArray<string>): Result<ReadonlyArray<string>> => {
  if (keys.length > KvLimits.maxBulkGetKeys) {
    return fail("get", "InvalidBulkGet", bulk(400, `You can request a maximum of ${KvLimits.maxBulkGetKeys} keys`))
  }
  if (keys.length < 1) return fail("get", "InvalidBulkGet", bulk(400, "You must request a minimum of 1 key"))
  for (const key of keys) {
    if (key === "") return fail("get", "InvalidKey", bulk(400, "Key names must not be empty"))
    if (key === "." || key === "..") {
      return fail("get", "InvalidKey", bulk(400, `Illegal key name "${key}". Please use a different name.`))
    }
    const bytes = wtf8Length(key)
    if (bytes > KvLimits.maxKeyBytes) {
      return fail(
        "get",
        "KeyTooLong",
        bulk(414, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${KvLimits.maxKeyBytes}.`)
      )
    }
  }
  return Either.right(keys)
}

/** The largest total a bulk get may return, counted as KV counts it (UTF-16 code units). */
export const maxBulkResultLength = KvLimits.maxValueBytes

export const bulkResultTooLarge = (): KvError =>
  new KvError({
    operation: "get",
    reason: "ValueTooLarge",
    message: bulk(413, `Total size of request exceeds the limit of ${maxBulkResultLength / 1024 / 1024}MB`)
  })

const putFailed = (reason: KvError["reason"], status: number, text: string) => fail("put", reason, failed("put", status, text))

/**
 * The options of a `put`, normalised for a backend. `nowSeconds` is the current time in whole
 * seconds since the epoch, against which an absolute `expiration` is checked.
 */
export const validatePut = (
  key: string,
  value: KvValue,
  options: KvPutOptions | undefined,
  nowSeconds: number
): Result<KvBackendPutOptions> => {
  // Written with early returns, not `Either.gen`: every write of the limiter and the session store
  // comes through here (a generator showed in the auth request's profile).
  let ttl = Option.none<number>()
  if (options?.expirationTtl !== undefined) {
    const converted = toInt32("put", "InvalidExpiration", options.expirationTtl)
    if (Either.isLeft(converted)) return Either.left(converted.left)
    ttl = Option.some(converted.right)
  }
  let expiration = Option.none<number>()
  if (options?.expiration !== undefined) {
    const converted = toInt32("put", "InvalidExpiration", options.expiration)
    if (Either.isLeft(converted)) return Either.left(converted.left)
    expiration = Option.some(converted.right)
  }
  const validKey = validateKey("put", key)
  if (Either.isLeft(validKey)) return Either.left(validKey.left)

  if (Option.isSome(ttl)) {
    const t = ttl.value
    if (t <= 0) return putFailed("InvalidExpiration", 400, `Invalid expiration_ttl of ${t}. Please specify integer greater than 0.`)
    if (t < KvLimits.minExpirationTtlSeconds) {
      return putFailed(
        "InvalidExpiration",
        400,
        `Invalid expiration_ttl of ${t}. Expiration TTL must be at least ${KvLimits.minExpirationTtlSeconds}.`
      )
    }
  } else if (Option.isSome(expiration)) {
    const e = expiration.value
    if (e <= nowSeconds) {
      return putFailed(
        "InvalidExpiration",
        400,
        `Invalid expiration of ${e}. Please specify integer greater than the current number of seconds since the UNIX epoch.`
      )
    }
    if (e < nowSeconds + KvLimits.minExpirationTtlSeconds) {
      return putFailed(
        "InvalidExpiration",
        400,
        `Invalid expiration of ${e}. Expiration times must be at least ${KvLimits.minExpirationTtlSeconds} seconds in the future.`
      )
    }
  }

  const serialized = serializeMetadata(options?.metadata)
  if (Either.isLeft(serialized)) return Either.left(serialized.left)
  const metadataJson = serialized.right
  if (Option.isSome(metadataJson)) {
    const bytes = wtf8Length(metadataJson.value)
    if (bytes > KvLimits.maxMetadataBytes) {
      return putFailed("MetadataTooLarge", 413, `Metadata length of ${bytes} exceeds limit of ${KvLimits.maxMetadataBytes}.`)
    }
  }

  const valueBytes = typeof value === "string" ? wtf8Length(value) : value.byteLength
  if (valueBytes > KvLimits.maxValueBytes) {
    return putFailed("ValueTooLarge", 413, `Value length of ${valueBytes} exceeds limit of ${KvLimits.maxValueBytes}.`)
  }

  // As in KV, a valid TTL wins and an absolute expiration given beside it is ignored.
  return Either.right(
    Option.isSome(ttl)
      ? { expirationTtl: ttl, expiration: Option.none(), metadataJson }
      : { expirationTtl: Option.none(), expiration, metadataJson }
  )
}

/** Metadata as KV stores it: its JSON text, with `null` and `undefined` meaning none. */
const serializeMetadata = (metadata: unknown): Result<Option.Option<string>> => {
  if (metadata === undefined || metadata === null) return Either.right(Option.none())
  try {
    return Either.right(Option.fromNullable(JSON.stringify(metadata) as string | undefined))
  } catch (cause) {
    return Either.left(
      new KvError({
        operation: "put",
        reason: "InvalidMetadata",
        message: cause instanceof Error ? cause.message : String(cause),
        cause
      })
    )
  }
}

/** The options of a `list`, normalised for a backend. */
export const validateList = (options: KvListOptions | undefined): Result<KvBackendListOptions> =>
  Either.gen(function*() {
    const requested = options?.limit === undefined ? 0 : yield* toInt32("list", "InvalidListLimit", options.limit)
    // workerd sends no limit unless it is positive, and KV then defaults to its maximum.
    const limit = requested > 0 ? requested : KvLimits.maxListLimit
    if (limit > KvLimits.maxListLimit) {
      yield* fail(
        "list",
        "InvalidListLimit",
        failed("list", 400, `Invalid key_count_limit of ${limit}. Please specify an integer less than ${KvLimits.maxListLimit}.`)
      )
    }
    const prefix = listPrefix(options?.prefix ?? "")
    yield* checkKeyLength("list", prefix)
    return { prefix, limit, cursor: Option.fromNullable(options?.cursor) }
  })
