/**
 * The store behind the in-memory Kv layers: entries as KV keeps them (bytes, metadata JSON,
 * absolute expiration), and a `KvBackend` over it whose reads go through a lookup the layer
 * chooses. `KvMemory` looks keys up in the store itself; `KvReplicated` looks them up through a
 * location's cache first. Time comes only from Effect's `Clock`.
 *
 * @module
 */
import { Clock, Effect, Option } from "effect"
import { KvError } from "../services/Kv.js"
import type { KvBackendGetOptions, KvBackendPutOptions, KvListKey, KvValueWithMetadata } from "../services/Kv.js"
import type { KvBackend } from "../services/KvBackend.js"
import { bulkResultTooLarge, maxBulkResultLength } from "../services/KvValidation.js"
import { wtf8Encode } from "../services/Wtf8.js"

export interface Entry {
  readonly bytes: Uint8Array
  /** Absolute expiry in whole seconds since the epoch. */
  readonly expiration: Option.Option<number>
  readonly metadataJson: Option.Option<string>
  /** When the key was last written, in milliseconds, for the write-rate check. */
  readonly writtenAt: number
}

export interface StoreOptions {
  /**
   * Reject a second write to one key within a second, as production KV may do with
   * `KV PUT failed: 429 Too Many Requests`. Off by default, as in Miniflare's local KV.
   */
  readonly enforceWriteRate?: boolean
}

const encoder = new TextEncoder()
// A single get hands back what was stored, a leading byte-order mark included; a bulk get drops it.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })
const bulkDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false })

/** Orders strings by their UTF-8 bytes, which for well-formed strings is code point order. */
export const compareUtf8 = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

const toBase64 = (text: string): string => {
  let binary = ""
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Decodes a cursor as leniently as KV does: unknown characters are skipped, never an error. */
const fromBase64 = (cursor: string): string => {
  const clean = cursor.replace(/-/g, "+").replace(/_/g, "/").split("=")[0]!.replace(/[^A-Za-z0-9+/]/g, "")
  const usable = clean.length % 4 === 1 ? clean.slice(0, -1) : clean
  const binary = atob(usable + "=".repeat((4 - (usable.length % 4)) % 4))
  return decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
}

/** Whether an entry's own expiration is still ahead of `nowMillis`. */
export const isLive = (entry: Entry, nowMillis: number): boolean =>
  Option.match(entry.expiration, { onNone: () => true, onSome: (seconds) => seconds * 1000 > nowMillis })

/** The one place a key's truth is kept. */
export interface Store {
  /** The live entry of `key`; an expired one is dropped. */
  readonly live: (key: string, nowMillis: number) => Option.Option<Entry>
}

/**
 * How a backend over a store reads and writes. `lookup` answers a read (the store itself, or a
 * cache in front of it); `written` hears of every write and delete that reached the store.
 */
export interface Access {
  readonly lookup: (key: string, nowMillis: number, options: KvBackendGetOptions) => Option.Option<Entry>
  readonly written: (key: string, entry: Option.Option<Entry>, nowMillis: number) => void
}

export const makeStore = (): Store & { readonly entries: Map<string, Entry> } => {
  const entries = new Map<string, Entry>()
  return {
    entries,
    live: (key, now) => {
      const entry = entries.get(key)
      if (entry === undefined) return Option.none()
      if (isLive(entry, now)) return Option.some(entry)
      entries.delete(key)
      return Option.none()
    }
  }
}

const withMetadata = (entry: Entry): KvValueWithMetadata => ({
  value: decoder.decode(entry.bytes),
  metadata: Option.map(entry.metadataJson, (json) => JSON.parse(json) as unknown)
})

/** A `KvBackend` over `store`, reading through `access.lookup`. */
export const backend = (
  store: ReturnType<typeof makeStore>,
  options: StoreOptions,
  access: Access
): KvBackend => ({
  get: (key, getOptions) =>
    Effect.map(Clock.currentTimeMillis, (now) => Option.map(access.lookup(key, now, getOptions), withMetadata)),

  getMany: (keys, getOptions) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const result = new Map<string, Option.Option<string>>()
      let total = 0
      for (const key of keys) {
        const value = Option.map(access.lookup(key, now, getOptions), (entry) => bulkDecoder.decode(entry.bytes))
        total += Option.match(value, { onNone: () => 0, onSome: (text) => text.length })
        // Bulk results are keyed by the name as the service echoes it back, so a lone
        // surrogate comes back as U+FFFD characters.
        result.set(decoder.decode(wtf8Encode(key)), value)
      }
      return total > maxBulkResultLength ? Effect.fail(bulkResultTooLarge()) : Effect.succeed(result)
    }),

  put: (key, value, normalised: KvBackendPutOptions) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const previous = store.entries.get(key)
      if (options.enforceWriteRate && previous !== undefined && now - previous.writtenAt < 1000) {
        return Effect.fail(
          new KvError({ operation: "put", reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
        )
      }
      const nowSeconds = Math.floor(now / 1000)
      const entry: Entry = {
        bytes: typeof value === "string" ? wtf8Encode(value) : value.slice(),
        expiration: Option.orElse(
          Option.map(normalised.expirationTtl, (ttl) => nowSeconds + ttl),
          () => normalised.expiration
        ),
        metadataJson: normalised.metadataJson,
        writtenAt: now
      }
      store.entries.set(key, entry)
      access.written(key, Option.some(entry), now)
      return Effect.void
    }),

  delete: (key) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      store.entries.delete(key)
      access.written(key, Option.none(), now)
    }),

  list: ({ cursor, limit, prefix }) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const startAfter = Option.map(cursor, fromBase64)
      const names: Array<string> = []
      for (const [name, entry] of store.entries) {
        if (!name.startsWith(prefix)) continue
        if (Option.isSome(startAfter) && compareUtf8(name, startAfter.value) <= 0) continue
        if (isLive(entry, now)) names.push(name)
        else store.entries.delete(name)
      }
      names.sort(compareUtf8)
      const page = names.slice(0, limit)
      const keys = page.map((name): KvListKey => {
        const entry = store.entries.get(name)!
        return {
          name,
          ...Option.match(entry.expiration, { onNone: () => ({}), onSome: (expiration) => ({ expiration }) }),
          ...Option.match(entry.metadataJson, {
            onNone: () => ({}),
            onSome: (json) => ({ metadata: JSON.parse(json) as unknown })
          })
        }
      })
      return names.length > limit
        ? { keys, list_complete: false, cursor: toBase64(page[page.length - 1]!) }
        : { keys, list_complete: true }
    })
})
