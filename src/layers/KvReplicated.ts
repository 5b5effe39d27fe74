/**
 * Workers KV as seen from several locations: eventual consistency you can reproduce in a test.
 *
 * Miniflare's KV and `KvMemory` are strongly consistent; production KV is not. Each Cloudflare
 * location keeps its own cache in front of one central store, so a value (or the absence of one)
 * read at a location can be served there for up to the read's `cacheTtl` after another location
 * changed it. This layer models exactly that, on Effect's `Clock`, so `TestClock` moves it:
 *
 * - One central store holds the truth. `put` and `delete` at a location update the central store
 *   and that location's cache at once: the writer sees its own write immediately (its cache holds
 *   it for the default 60 s), others do not until their cached copy ends.
 * - A read (`get`, `getJson`, `getWithMetadata`, and each key of `getMany` on its own) at a
 *   location with no cached entry for the key reads the central store and caches the result
 *   there, a value or an absence, until now + `cacheTtl` (default 60 s).
 * - A read with a cached entry answers from the cache, however stale it is.
 * - A cached value never outlives the key's own expiration: from then on it is no cached entry,
 *   and the next read goes to the central store (and caches what it finds).
 * - `list` reads the central store.
 * - Every location validates input exactly as `KvMemory` does (same code, same messages).
 *
 * `at(location)` with a location not given to `make` is a programming error: it throws an
 * `UnknownLocation` (a defect when it happens inside an Effect), never a `KvError`.
 *
 * @module
 */
import { Context, Data, Effect, Layer, Option } from "effect"
import type { KvService } from "../services/Kv.js"
import * as KvBackend from "../services/KvBackend.js"
import { KvLimits } from "../services/KvValidation.js"
import { backend, isLive, makeStore } from "./KvMemoryStore.js"
import type { Entry, StoreOptions } from "./KvMemoryStore.js"

export interface KvReplicatedOptions extends StoreOptions {
  /** The locations reads and writes may come from, e.g. `["ams", "sin", "iad"]`. At least one. */
  readonly locations: ReadonlyArray<string>
}

export interface KvReplicatedService {
  /** The locations given to `make`, without duplicates, in their order. */
  readonly locations: ReadonlyArray<string>
  /** KV as the given location sees it. The same `KvService` every time for one location. */
  readonly at: (location: string) => KvService
}

/** `at` was asked for a location that `make` was not given. */
export class UnknownLocation extends Data.TaggedError("UnknownLocation")<{
  readonly location: string
  readonly known: ReadonlyArray<string>
  readonly message: string
}> {}

/** KV across locations, as a service: `KvReplicated.layer({ locations })` provides it. */
export class KvReplicated extends Context.Tag("edge-auth-state/KvReplicated")<KvReplicated, KvReplicatedService>() {}

/** What a location's cache holds for a key: what the central store said, and until when. */
interface Cached {
  readonly entry: Option.Option<Entry>
  /** Epoch milliseconds after which the location asks the central store again. */
  readonly until: number
}

const defaultCacheMillis = KvLimits.defaultCacheTtlSeconds * 1000

/** A fresh central store, empty, seen from `options.locations`, each with an empty cache. */
export const make = (options: KvReplicatedOptions): Effect.Effect<KvReplicatedService> =>
  Effect.suspend(() => {
    const locations = [...new Set(options.locations)]
    if (locations.length === 0) return Effect.dieMessage("KvReplicated.make: give at least one location")
    const store = makeStore()
    const views = new Map<string, KvService>()
    for (const location of locations) {
      const cache = new Map<string, Cached>()
      const fresh = (cached: Cached, now: number) =>
        now < cached.until && Option.match(cached.entry, { onNone: () => true, onSome: (entry) => isLive(entry, now) })
      views.set(
        location,
        KvBackend.make(backend(store, options, {
          lookup: (key, now, { cacheTtl }) => {
            const cached = cache.get(key)
            if (cached !== undefined && fresh(cached, now)) return cached.entry
            const entry = store.live(key, now)
            const ttlMillis = Option.match(cacheTtl, { onNone: () => defaultCacheMillis, onSome: (s) => s * 1000 })
            cache.set(key, { entry, until: now + ttlMillis })
            return entry
          },
          written: (key, entry, now) => {
            cache.set(key, { entry, until: now + defaultCacheMillis })
          }
        }))
      )
    }
    return Effect.succeed({
      locations,
      at: (location: string) => {
        const view = views.get(location)
        if (view === undefined) {
          throw new UnknownLocation({
            location,
            known: locations,
            message: `KvReplicated: unknown location "${location}" (known: ${locations.join(", ")})`
          })
        }
        return view
      }
    })
  })

/** `KvReplicated` over a fresh central store each time the layer is built. */
export const layer = (options: KvReplicatedOptions): Layer.Layer<KvReplicated> => Layer.effect(KvReplicated, make(options))
