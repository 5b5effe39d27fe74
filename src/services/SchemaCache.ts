/**
 * Values derived from a schema, built once per schema.
 *
 * @module
 */
import type { Schema } from "effect"

/**
 * `build(schema)`, computed on a schema's first use and kept as long as the schema is. Building a
 * Schema decoder or encoder compiles a parser (about 100 µs for a small struct in Node), which a
 * request must not pay on every call.
 */
export const perSchema = <T>(build: (schema: Schema.Schema.Any) => T) => {
  const built = new WeakMap<Schema.Schema.Any, T>()
  return (schema: Schema.Schema.Any): T => {
    let value = built.get(schema)
    if (value === undefined) {
      value = build(schema)
      built.set(schema, value)
    }
    return value
  }
}

/**
 * The decoded value of each key's stored text, for as long as the text stays the same: a key read
 * again with the same text (a session or a cache entry read on every request) is not parsed and
 * decoded again. Decoded values are shared by every request that reads the same text, so they are
 * never mutated (Schema's outputs are read-only). At most `max` keys, the oldest forgotten first.
 */
export const decodedPerKey = <A>(max = 1000) => {
  const entries = new Map<string, { readonly text: string; readonly value: A }>()
  return {
    /** The value decoded from `text` at `key`, if that is the text last decoded there. */
    get: (key: string, text: string): { readonly value: A } | undefined => {
      const entry = entries.get(key)
      return entry !== undefined && entry.text === text ? entry : undefined
    },
    set: (key: string, text: string, value: A): void => {
      entries.delete(key)
      if (entries.size >= max) entries.delete(entries.keys().next().value!)
      entries.set(key, { text, value })
    }
  }
}
