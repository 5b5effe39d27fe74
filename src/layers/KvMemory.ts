/**
 * An in-memory Workers KV for tests and local tools.
 *
 * It behaves as KV does, limits and error messages included, and takes time only from Effect's
 * `Clock`: under `TestClock`, `TestClock.adjust` past a key's expiration makes it vanish. Values are
 * stored as bytes and read back as UTF-8 text; metadata goes through a JSON round trip; `list` is
 * in UTF-8 byte order with KV's cursor format. It is strongly consistent, as Miniflare's KV is;
 * `KvReplicated` adds KV's per-location caches for testing code under staleness.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import { Kv } from "../services/Kv.js"
import * as KvBackend from "../services/KvBackend.js"
import { backend, makeStore } from "./KvMemoryStore.js"
import type { StoreOptions } from "./KvMemoryStore.js"

export { compareUtf8 } from "./KvMemoryStore.js"

export type KvMemoryOptions = StoreOptions

/** A fresh, empty in-memory Kv. */
export const make = (options: KvMemoryOptions = {}): Effect.Effect<Kv["Type"]> =>
  Effect.sync(() => {
    const store = makeStore()
    return KvBackend.make(backend(store, options, { lookup: store.live, written: () => {} }))
  })

/** An in-memory Kv: a fresh, empty store each time the layer is built. */
export const layer: Layer.Layer<Kv> = Layer.effect(Kv, make())

/** An in-memory Kv with options, e.g. `{ enforceWriteRate: true }`. */
export const layerWith = (options: KvMemoryOptions): Layer.Layer<Kv> => Layer.effect(Kv, make(options))
