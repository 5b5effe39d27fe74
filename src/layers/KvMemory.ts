/**
 * An in-memory Workers KV for tests and local tools.
 *
 * It behaves as KV does, limits and error messages included, and takes time only from Effect's
 * `Clock`: under `TestClock`, `TestClock.adjust` past a key's expiration makes it vanish. Values are
 * stored as bytes and read back as UTF-8 text; metadata goes through a JSON round trip; `list` is
 * in UTF-8 byte order with KV's cursor format.
 *
 * @module
 */
import { Clock, Effect, Layer, Option } from "effect"
import { Kv, KvError } from "../services/Kv.js"
import type { KvBackend, KvBackendPutOptions, KvListKey } from "../services/Kv.js"
import { make as makeKv } from "../services/KvMake.js"
import { bulkResultTooLarge, maxBulkResultLength, wtf8Encode } from "../services/KvValidation.js"

interface Entry {
  readonly bytes: Uint8Array
  /** Absolute expiry in whole seconds since the epoch. */
  readonly expiration: Option.Option<number>
  readonly metadataJson: Option.Option<string>
  /** When the key was last written, in milliseconds, for the write-rate check. */
  readonly writtenAt: number
}

export interface KvMemoryOptions {
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

const isLive = (entry: Entry, nowMillis: number) =>
  Option.match(entry.expiration, { onNone: () => true, onSome: (seconds) => seconds * 1000 > nowMillis })

/** A fresh, empty in-memory Kv. */
export const make = (options: KvMemoryOptions = {}): Effect.Effect<Kv["Type"]> =>
  Effect.sync(() => {
    const store = new Map<string, Entry>()

    const live = (key: string, now: number): Option.Option<Entry> => {
      const entry = store.get(key)
      if (entry === undefined) return Option.none()
      if (isLive(entry, now)) return Option.some(entry)
      store.delete(key)
      return Option.none()
    }

    const backend: KvBackend = {
      get: (key) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          Option.map(live(key, now), (entry) => ({
            value: decoder.decode(entry.bytes),
            metadata: Option.map(entry.metadataJson, (json) => JSON.parse(json) as unknown)
          }))),

      getMany: (keys) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const result = new Map<string, Option.Option<string>>()
          let total = 0
          for (const key of keys) {
            const value = Option.map(live(key, now), (entry) => bulkDecoder.decode(entry.bytes))
            total += Option.match(value, { onNone: () => 0, onSome: (text) => text.length })
            // Bulk results are keyed by the name as the service echoes it back, so a lone
            // surrogate comes back as U+FFFD characters.
            result.set(decoder.decode(wtf8Encode(key)), value)
          }
          return total > maxBulkResultLength ? Effect.fail(bulkResultTooLarge()) : Effect.succeed(result)
        }),

      put: (key, value, normalised: KvBackendPutOptions) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const previous = store.get(key)
          if (options.enforceWriteRate && previous !== undefined && now - previous.writtenAt < 1000) {
            return Effect.fail(
              new KvError({ operation: "put", reason: "WriteRateLimited", message: "KV PUT failed: 429 Too Many Requests" })
            )
          }
          const nowSeconds = Math.floor(now / 1000)
          store.set(key, {
            bytes: typeof value === "string" ? wtf8Encode(value) : value.slice(),
            expiration: Option.orElse(
              Option.map(normalised.expirationTtl, (ttl) => nowSeconds + ttl),
              () => normalised.expiration
            ),
            metadataJson: normalised.metadataJson,
            writtenAt: now
          })
          return Effect.void
        }),

      delete: (key) =>
        Effect.sync(() => {
          store.delete(key)
        }),

      list: ({ cursor, limit, prefix }) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const startAfter = Option.map(cursor, fromBase64)
          const names: Array<string> = []
          for (const [name, entry] of store) {
            if (!name.startsWith(prefix)) continue
            if (Option.isSome(startAfter) && compareUtf8(name, startAfter.value) <= 0) continue
            if (isLive(entry, now)) names.push(name)
            else store.delete(name)
          }
          names.sort(compareUtf8)
          const page = names.slice(0, limit)
          const keys = page.map((name): KvListKey => {
            const entry = store.get(name)!
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
    }
    return makeKv(backend)
  })

/** An in-memory Kv: a fresh, empty store each time the layer is built. */
export const layer: Layer.Layer<Kv> = Layer.effect(Kv, make())

/** An in-memory Kv with options, e.g. `{ enforceWriteRate: true }`. */
export const layerWith = (options: KvMemoryOptions): Layer.Layer<Kv> => Layer.effect(Kv, make(options))
