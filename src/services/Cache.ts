/**
 * Cache-aside for custom actions: `getOrSet(key, schema, compute, { ttl })` returns the cached
 * value while it is fresh and otherwise runs `compute` and stores its result.
 *
 * A cache never fails an action: an entry that no longer decodes is a miss, and a store that
 * cannot be read or written is skipped (and logged). `compute`'s own failures are the action's.
 *
 * @module
 */
import { Context, Duration, Effect, Schema } from "effect"
import { KvLimits } from "./KvValidation.js"
import { hasLoneSurrogate, wtf8Encode, wtf8Length } from "./Wtf8.js"
import { sha256Hex } from "./Digest.js"

export interface CacheOptions {
  /** How long a computed value is fresh. Default 5 minutes. */
  readonly ttl?: Duration.DurationInput
  /**
   * How long after `ttl` a stale value may still be served while it is recomputed in the
   * background (stale-while-revalidate). Default none.
   */
  readonly staleWhileRevalidate?: Duration.DurationInput
}

export const defaultTtl = Duration.minutes(5)

/** The cache could not be written or cleared. */
export class CacheError extends Schema.TaggedError<CacheError>()("CacheError", { message: Schema.String }) {}

export interface CacheService {
  /**
   * The value cached under `key`, if fresh; otherwise `compute`'s, stored for `ttl`. Concurrent
   * misses of one key within an isolate run `compute` once.
   */
  readonly getOrSet: <A, I, E, R>(
    key: string,
    schema: Schema.Schema<A, I, never>,
    compute: Effect.Effect<A, E, R>,
    options?: CacheOptions
  ) => Effect.Effect<A, E, R>
  /** Removes the entry under `key`, so the next `getOrSet` computes. */
  readonly invalidate: (key: string) => Effect.Effect<void, CacheError>
}

export class Cache extends Context.Tag("edge-auth-state/Cache")<Cache, CacheService>() {}

/** The marker of a digested key: `cache:sha256:<64 hex digits>`. */
const digestPrefix = "sha256:"

/**
 * The KV key of a cache entry: `cache:<key>`, or `cache:sha256:<hex>` (the SHA-256 of the key's
 * bytes) when that would not be a KV key: longer than KV's 512 bytes (easy once user input is in
 * the key), or holding a lone surrogate. Keys that themselves begin with `sha256:` are digested
 * too, so two different keys never share an entry.
 */
export const cacheKey = (key: string): Effect.Effect<string> => {
  const plain = `cache:${key}`
  if (wtf8Length(plain) <= KvLimits.maxKeyBytes && !key.startsWith(digestPrefix) && !hasLoneSurrogate(key)) {
    return Effect.succeed(plain)
  }
  return Effect.map(sha256Hex(wtf8Encode(key)), (digest) => `cache:${digestPrefix}${digest}`)
}
