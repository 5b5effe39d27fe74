import { describe, expect, it } from "vitest"
import { decodedPerKey } from "../../src/services/SchemaCache.js"

describe("decodedPerKey", () => {
  it("gives back a value only for the text it was decoded from", () => {
    const decoded = decodedPerKey<{ n: number }>()
    const value = { n: 1 }
    decoded.set("k", '{"n":1}', value)
    expect(decoded.get("k", '{"n":1}')?.value).toBe(value)
    // The entry changed in storage (another isolate wrote it): decoded again, not the old value.
    expect(decoded.get("k", '{"n":2}')).toBeUndefined()
    expect(decoded.get("other", '{"n":1}')).toBeUndefined()
  })

  it("keeps at most `max` keys, forgetting the least recently decoded first", () => {
    const decoded = decodedPerKey<number>(2)
    decoded.set("a", "1", 1)
    decoded.set("b", "2", 2)
    decoded.set("a", "1", 1) // decoded again: now the newest
    decoded.set("c", "3", 3)
    expect(decoded.get("b", "2")).toBeUndefined()
    expect(decoded.get("a", "1")?.value).toBe(1)
    expect(decoded.get("c", "3")?.value).toBe(3)
  })
})
