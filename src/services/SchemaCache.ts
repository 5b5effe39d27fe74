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
