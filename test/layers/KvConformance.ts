/**
 * One conformance suite for every Kv layer. Each case runs a sequence of operations, asserts what
 * KV does, and returns a transcript of every step (value or error) so that two layers can be
 * compared step by step. The memory layer runs it in Node; in workerd it runs against both the
 * binding over Miniflare's real KV and the memory layer, and their transcripts must be equal.
 */
import { Cause, Clock, Effect, Exit, Option, Schema } from "effect"
import { expect } from "vitest"
import { Kv } from "../../src/services/Kv.js"
import type { KvListResult, KvService } from "../../src/services/Kv.js"

export type Step = { readonly ok: unknown } | { readonly error: unknown } | { readonly defect: string }

export interface CaseContext {
  /** Whole seconds since the epoch when the case started. */
  readonly start: number
}

export interface ConformanceCase {
  readonly name: string
  readonly run: (kv: KvService, ctx: CaseContext) => Effect.Effect<ReadonlyArray<Step>, unknown>
}

/** Expirations are absolute; the transcript keeps them relative to the case's start, to 10 s. */
const plain = (value: unknown, ctx: CaseContext): unknown => {
  if (Option.isOption(value)) return Option.match(value, { onNone: () => "<none>", onSome: (v) => ({ some: plain(v, ctx) }) })
  if (value instanceof Date) return value
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [k, plain(v, ctx)])
  if (Array.isArray(value)) return value.map((v) => plain(v, ctx))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) =>
        k === "expiration" && typeof v === "number" ? [k, `start+${Math.round((v - ctx.start) / 10) * 10}`] : [k, plain(v, ctx)]
      )
    )
  }
  return value
}

const describeError = (error: unknown): unknown => {
  if (error !== null && typeof error === "object" && "_tag" in error) {
    const e = error as { _tag: string; operation?: string; reason?: string; message?: string; direction?: string }
    return e._tag === "KvError"
      ? { _tag: e._tag, operation: e.operation, reason: e.reason, message: e.message }
      : { _tag: e._tag, direction: e.direction }
  }
  return String(error)
}

/** Runs one operation and records its outcome, success or failure, as plain data. */
export const step = <A, E>(effect: Effect.Effect<A, E>, ctx: CaseContext): Effect.Effect<Step> =>
  Effect.map(Effect.exit(effect), (exit) =>
    Exit.match(exit, {
      onSuccess: (value): Step => ({ ok: plain(value, ctx) }),
      onFailure: (cause): Step =>
        Option.match(Cause.failureOption(cause), {
          onNone: () => ({ defect: Cause.pretty(cause) }),
          onSome: (error) => ({ error: describeError(error) })
        })
    }))

const steps = (ctx: CaseContext, ...effects: ReadonlyArray<Effect.Effect<unknown, unknown>>) =>
  Effect.forEach(effects, (effect) => step(effect, ctx))

const kvError = (operation: string, reason: string, message: string) => ({
  error: { _tag: "KvError", operation, reason, message }
})

const some = (value: unknown) => ({ ok: { some: value } })
const none = { ok: "<none>" }
const done = { ok: undefined }

const defineCase = (name: string, run: ConformanceCase["run"]): ConformanceCase => ({ name, run })

const tooLong = (op: string, bytes: number) => `KV ${op} failed: 414 UTF-8 encoded length of ${bytes} exceeds key length limit of 512.`
const outOfRange = "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."

const Profile = Schema.Struct({ name: Schema.String, joined: Schema.Date })

export const cases: ReadonlyArray<ConformanceCase> = [
  defineCase("put then get returns the text; a missing key is None", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(ctx, kv.put("greeting", "hello"), kv.get("greeting"), kv.get("missing"))
      expect(t).toEqual([done, some("hello"), none])
      return t
    })),

  defineCase("values are stored as bytes and read back as UTF-8 text", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("bytes", new Uint8Array([0xff, 0xfe, 0x41])),
        kv.get("bytes"),
        kv.put("buffer", new TextEncoder().encode("héllo").buffer as ArrayBuffer),
        kv.get("buffer"),
        kv.put("empty", ""),
        kv.get("empty"),
        kv.put("unicode", "a\u{1F600}é"),
        kv.get("unicode"),
        kv.put("lone", "a\uD800b"),
        kv.get("lone"),
        kv.put("bom", "\uFEFFbom"),
        kv.get("bom"),
        kv.getMany(["bom"])
      )
      expect(t).toEqual([
        done,
        some("\uFFFD\uFFFDA"),
        done,
        some("héllo"),
        done,
        some(""),
        done,
        some("a\u{1F600}é"),
        // workerd sends a lone surrogate as its own three bytes, which read back as three U+FFFD.
        done,
        some("a\uFFFD\uFFFD\uFFFDb"),
        // A single get keeps a leading byte-order mark; a bulk get drops it.
        done,
        some("\uFEFFbom"),
        { ok: [["bom", { some: "bom" }]] }
      ])
      return t
    })),

  defineCase("a put replaces the value, metadata and expiration", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("k", "one", { metadata: { v: 1 }, expirationTtl: 120 }),
        kv.put("k", "two"),
        kv.getWithMetadata("k"),
        kv.list()
      )
      expect(t).toEqual([done, done, some({ value: "two", metadata: "<none>" }), { ok: { keys: [{ name: "k" }], list_complete: true } }])
      return t
    })),

  defineCase("metadata goes through a JSON round trip; null is none", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("object", "v", { metadata: { n: 1, gone: undefined, nested: { ok: true } } }),
        kv.getWithMetadata("object"),
        kv.put("number", "v", { metadata: 5 }),
        kv.put("false", "v", { metadata: false }),
        kv.put("date", "v", { metadata: new Date(0) }),
        kv.put("null", "v", { metadata: null }),
        kv.getWithMetadata("null"),
        kv.getWithMetadata("missing"),
        kv.list()
      )
      expect(t[1]).toEqual(some({ value: "v", metadata: { some: { n: 1, nested: { ok: true } } } }))
      expect(t[6]).toEqual(some({ value: "v", metadata: "<none>" }))
      expect(t[7]).toEqual(none)
      expect(t[8]).toEqual({
        ok: {
          keys: [
            { name: "date", metadata: "1970-01-01T00:00:00.000Z" },
            { name: "false", metadata: false },
            { name: "null" },
            { name: "number", metadata: 5 },
            { name: "object", metadata: { n: 1, nested: { ok: true } } }
          ],
          list_complete: true
        }
      })
      return t
    })),

  defineCase("getMany returns every requested key, missing ones as None", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("a", "1"),
        kv.put("c", "3"),
        kv.getMany(["c", "b", "a", "c"]),
        kv.getMany([]),
        kv.getMany(Array.from({ length: 101 }, (_, i) => `k${i}`)),
        kv.getMany(Array.from({ length: 100 }, (_, i) => `k${i}`)),
        kv.getMany(["a", ""]),
        kv.getMany(["a", "."]),
        kv.getMany([".."]),
        kv.getMany(["a", "x".repeat(513)]),
        kv.getMany(["x\uD800"])
      )
      expect(t.slice(0, 10)).toEqual([
        done,
        done,
        { ok: [["c", { some: "3" }], ["b", "<none>"], ["a", { some: "1" }]] },
        kvError("get", "InvalidBulkGet", "KV GET_BULK failed: 400 You must request a minimum of 1 key"),
        kvError("get", "InvalidBulkGet", "KV GET_BULK failed: 400 You can request a maximum of 100 keys"),
        { ok: Array.from({ length: 100 }, (_, i) => [`k${i}`, "<none>"]) },
        kvError("get", "InvalidKey", "KV GET_BULK failed: 400 Key names must not be empty"),
        kvError("get", "InvalidKey", `KV GET_BULK failed: 400 Illegal key name ".". Please use a different name.`),
        kvError("get", "InvalidKey", `KV GET_BULK failed: 400 Illegal key name "..". Please use a different name.`),
        kvError("get", "KeyTooLong", tooLong("GET_BULK", 513))
      ])
      return t
    })),

  defineCase("delete removes a key; deleting a missing key succeeds", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(ctx, kv.put("k", "v"), kv.delete("k"), kv.get("k"), kv.delete("never-there"))
      expect(t).toEqual([done, done, none, done])
      return t
    })),

  defineCase("invalid keys fail with KV's reason and message for every operation", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.get(""),
        kv.get("."),
        kv.getWithMetadata(".."),
        kv.put("", "v"),
        kv.put(".", "v"),
        kv.delete(""),
        kv.delete(".."),
        kv.get("a".repeat(512)),
        kv.get("a".repeat(513)),
        kv.put("é".repeat(257), "v"),
        kv.delete("a".repeat(600)),
        kv.get("x\uD800"),
        kv.put("x\uDC00y", "v"),
        kv.delete("\uD800"),
        kv.get("a".repeat(510) + "\uD800"),
        kv.get("a/b?c#d%20e"),
        kv.put("a/b?c#d%20e", "slashes"),
        kv.get("a/b?c#d%20e"),
        kv.put("%E9", "percent"),
        kv.get("é"),
        kv.put("nul\u0000key", "nul"),
        kv.get("nul\u0000key")
      )
      expect(t).toEqual([
        kvError("get", "InvalidKey", "Key name cannot be empty."),
        kvError("get", "InvalidKey", `"." is not allowed as a key name.`),
        kvError("get", "InvalidKey", `".." is not allowed as a key name.`),
        kvError("put", "InvalidKey", "Key name cannot be empty."),
        kvError("put", "InvalidKey", `"." is not allowed as a key name.`),
        kvError("delete", "InvalidKey", "Key name cannot be empty."),
        kvError("delete", "InvalidKey", `".." is not allowed as a key name.`),
        none,
        kvError("get", "KeyTooLong", tooLong("GET", 513)),
        kvError("put", "KeyTooLong", tooLong("PUT", 514)),
        kvError("delete", "KeyTooLong", tooLong("DELETE", 600)),
        kvError("get", "InvalidKey", "KV GET failed: 400 Could not URL-decode key name"),
        kvError("put", "InvalidKey", "KV PUT failed: 400 Could not URL-decode key name"),
        kvError("delete", "InvalidKey", "KV DELETE failed: 400 Could not URL-decode key name"),
        kvError("get", "KeyTooLong", tooLong("GET", 513)),
        none,
        done,
        some("slashes"),
        done,
        none,
        done,
        some("nul")
      ])
      return t
    })),

  defineCase("expirationTtl: whole seconds, at least 60, int32", (kv, ctx) =>
    Effect.gen(function*() {
      const ttl = (expirationTtl: number) => kv.put("t", "v", { expirationTtl })
      const t = yield* steps(
        ctx,
        ttl(30),
        ttl(0),
        ttl(-5),
        ttl(59.9),
        ttl(0.9),
        ttl(NaN),
        ttl(Infinity),
        ttl(1e10),
        ttl(2147483648),
        ttl(-2147483648),
        ttl(60.5),
        ttl(2147483647),
        kv.put("k", "v", { expirationTtl: 120.9 }),
        kv.list({ prefix: "k" })
      )
      const msg = (v: number, tail: string) => `KV PUT failed: 400 Invalid expiration_ttl of ${v}. ${tail}`
      const positive = "Please specify integer greater than 0."
      expect(t).toEqual([
        kvError("put", "InvalidExpiration", msg(30, "Expiration TTL must be at least 60.")),
        kvError("put", "InvalidExpiration", msg(0, positive)),
        kvError("put", "InvalidExpiration", msg(-5, positive)),
        kvError("put", "InvalidExpiration", msg(59, "Expiration TTL must be at least 60.")),
        kvError("put", "InvalidExpiration", msg(0, positive)),
        kvError("put", "InvalidExpiration", msg(0, positive)),
        kvError("put", "InvalidExpiration", msg(0, positive)),
        kvError("put", "InvalidExpiration", outOfRange),
        kvError("put", "InvalidExpiration", outOfRange),
        kvError("put", "InvalidExpiration", msg(-2147483648, positive)),
        done,
        done,
        done,
        { ok: { keys: [{ name: "k", expiration: "start+120" }], list_complete: true } }
      ])
      return t
    })),

  defineCase("cacheTtl on reads: whole seconds, at least 30, int32, checked after the keys", (kv, ctx) =>
    Effect.gen(function*() {
      const Text = Schema.String
      const t = yield* steps(
        ctx,
        kv.put("k", "v"),
        kv.put("j", JSON.stringify("json")),
        kv.get("k", { cacheTtl: 30 }),
        kv.get("k", { cacheTtl: 30.9 }),
        kv.get("k", { cacheTtl: 60 }),
        kv.get("missing", { cacheTtl: 3600 }),
        kv.get("k", { cacheTtl: undefined }),
        kv.get("k", { cacheTtl: 10 }),
        kv.get("k", { cacheTtl: 29.9 }),
        kv.get("k", { cacheTtl: 0 }),
        kv.get("k", { cacheTtl: -1 }),
        kv.get("k", { cacheTtl: NaN }),
        kv.get("k", { cacheTtl: Infinity }),
        kv.get("k", { cacheTtl: 2 ** 31 }),
        kv.getWithMetadata("k", { cacheTtl: 45 }),
        kv.getWithMetadata("k", { cacheTtl: 10 }),
        kv.getJson("j", Text, { cacheTtl: 30 }),
        kv.getJson("j", Text, { cacheTtl: 10 }),
        kv.getMany(["k", "missing"], { cacheTtl: 30 }),
        kv.getMany(["k"], { cacheTtl: 10 }),
        kv.getMany(["k"], { cacheTtl: NaN }),
        kv.getMany(["k"], { cacheTtl: 3e9 }),
        // The key checks come first, the int32 conversion before them.
        kv.get("", { cacheTtl: 10 }),
        kv.get("a".repeat(600), { cacheTtl: 10 }),
        kv.get("", { cacheTtl: 1e10 }),
        kv.getMany([], { cacheTtl: 10 }),
        kv.getMany(["."], { cacheTtl: 10 })
      )
      const invalid = (v: number) => `400 Invalid cache_ttl of ${v}. Cache TTL must be at least 30.`
      const single = (v: number) => kvError("get", "InvalidCacheTtl", `KV GET failed: ${invalid(v)}`)
      const many = (v: number) => kvError("get", "InvalidCacheTtl", `KV GET_BULK failed: ${invalid(v)}`)
      expect(t).toEqual([
        done,
        done,
        some("v"),
        some("v"),
        some("v"),
        none,
        some("v"),
        single(10),
        single(29),
        single(0),
        single(-1),
        single(0),
        single(0),
        kvError("get", "InvalidCacheTtl", outOfRange),
        some({ value: "v", metadata: "<none>" }),
        single(10),
        some("json"),
        single(10),
        { ok: [["k", { some: "v" }], ["missing", "<none>"]] },
        many(10),
        many(0),
        kvError("get", "InvalidCacheTtl", outOfRange),
        kvError("get", "InvalidKey", "Key name cannot be empty."),
        kvError("get", "KeyTooLong", tooLong("GET", 600)),
        kvError("get", "InvalidCacheTtl", outOfRange),
        kvError("get", "InvalidBulkGet", "KV GET_BULK failed: 400 You must request a minimum of 1 key"),
        kvError("get", "InvalidKey", `KV GET_BULK failed: 400 Illegal key name ".". Please use a different name.`)
      ])
      return t
    })),

  defineCase("expiration: absolute seconds, at least 60 s ahead; a TTL beside it wins", (kv, ctx) =>
    Effect.gen(function*() {
      const at = (expiration: number) => kv.put("e", "v", { expiration })
      const past = ctx.start - 10
      const soon = ctx.start + 30
      const t = yield* steps(
        ctx,
        at(past),
        at(0),
        at(-1),
        at(NaN),
        at(soon),
        at(2 ** 31),
        at(ctx.start + 600.7),
        kv.put("both", "v", { expiration: ctx.start + 30, expirationTtl: 300.2 }),
        kv.put("ttl-bad", "v", { expiration: ctx.start + 600, expirationTtl: 5 }),
        kv.list()
      )
      const msg = (v: number, tail: string) => `KV PUT failed: 400 Invalid expiration of ${v}. ${tail}`
      const future = "Please specify integer greater than the current number of seconds since the UNIX epoch."
      expect(t).toEqual([
        kvError("put", "InvalidExpiration", msg(past, future)),
        kvError("put", "InvalidExpiration", msg(0, future)),
        kvError("put", "InvalidExpiration", msg(-1, future)),
        kvError("put", "InvalidExpiration", msg(0, future)),
        kvError("put", "InvalidExpiration", msg(soon, "Expiration times must be at least 60 seconds in the future.")),
        kvError("put", "InvalidExpiration", outOfRange),
        done,
        done,
        kvError("put", "InvalidExpiration", "KV PUT failed: 400 Invalid expiration_ttl of 5. Expiration TTL must be at least 60."),
        {
          ok: {
            keys: [{ name: "both", expiration: "start+300" }, { name: "e", expiration: "start+600" }],
            list_complete: true
          }
        }
      ])
      return t
    })),

  defineCase("metadata is limited to 1024 bytes of JSON and must serialise", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("m", "v", { metadata: "x".repeat(1022) }),
        kv.put("m", "v", { metadata: "x".repeat(1023) }),
        kv.put("m", "v", { metadata: "é".repeat(511) }),
        kv.put("m", "v", { metadata: "é".repeat(512) }),
        kv.put("m", "v", { metadata: { big: 10n } })
      )
      expect(t.slice(0, 4)).toEqual([
        done,
        kvError("put", "MetadataTooLarge", "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."),
        done,
        kvError("put", "MetadataTooLarge", "KV PUT failed: 413 Metadata length of 1026 exceeds limit of 1024.")
      ])
      expect(t[4]).toMatchObject({ error: { operation: "put", reason: "InvalidMetadata" } })
      return t
    })),

  defineCase("values are limited to 25 MiB of bytes", (kv, ctx) =>
    Effect.gen(function*() {
      const limit = 25 * 1024 * 1024
      const t = yield* steps(
        ctx,
        kv.put("v", "x".repeat(limit)),
        kv.put("v", "x".repeat(limit + 1)),
        kv.put("v", "é".repeat(limit / 2 + 1)),
        kv.put("v", new Uint8Array(limit + 5))
      )
      const tooLarge = (n: number) => `KV PUT failed: 413 Value length of ${n} exceeds limit of ${limit}.`
      expect(t).toEqual([
        done,
        kvError("put", "ValueTooLarge", tooLarge(limit + 1)),
        kvError("put", "ValueTooLarge", tooLarge(limit + 2)),
        kvError("put", "ValueTooLarge", tooLarge(limit + 5))
      ])
      return t
    })),

  defineCase("checks run in KV's order: key, expiration, metadata, value", (kv, ctx) =>
    Effect.gen(function*() {
      const bigValue = "x".repeat(26 * 1024 * 1024)
      const t = yield* steps(
        ctx,
        kv.put("a".repeat(600), "v", { expirationTtl: 5 }),
        kv.put("", "v", { expirationTtl: 1e12 }),
        kv.put("q", "v", { expirationTtl: 5, metadata: "x".repeat(2000) }),
        kv.put("q", bigValue, { metadata: "x".repeat(2000) }),
        kv.put("q", bigValue, { expirationTtl: 1 })
      )
      expect(t).toEqual([
        kvError("put", "KeyTooLong", tooLong("PUT", 600)),
        kvError("put", "InvalidExpiration", outOfRange),
        kvError("put", "InvalidExpiration", "KV PUT failed: 400 Invalid expiration_ttl of 5. Expiration TTL must be at least 60."),
        kvError("put", "MetadataTooLarge", "KV PUT failed: 413 Metadata length of 2002 exceeds limit of 1024."),
        kvError("put", "InvalidExpiration", "KV PUT failed: 400 Invalid expiration_ttl of 1. Expiration TTL must be at least 60.")
      ])
      return t
    })),

  defineCase("list is in UTF-8 byte order and pages with a cursor", (kv, ctx) =>
    Effect.gen(function*() {
      const names = ["b", "a", "é", "z", "\u{1F600}", "\uFFFF", "big", "k", "k2", "A", "~"]
      yield* Effect.forEach(names, (name) => kv.put(name, "1"))
      const all = yield* kv.list()
      expect(all.keys.map((k) => k.name)).toEqual(["A", "a", "b", "big", "k", "k2", "z", "~", "é", "\uFFFF", "\u{1F600}"])
      expect(all.list_complete).toBe(true)
      expect(all.cursor).toBeUndefined()

      // Walk every page of 3 and get every key exactly once, in order.
      const walked: Array<string> = []
      let cursor: string | undefined = undefined
      let pages = 0
      do {
        const page: KvListResult = yield* kv.list({ limit: 3, cursor })
        walked.push(...page.keys.map((k) => k.name))
        pages++
        expect(page.keys.length).toBeLessThanOrEqual(3)
        cursor = page.list_complete ? undefined : page.cursor
        if (!page.list_complete) expect(typeof page.cursor).toBe("string")
      } while (cursor !== undefined)
      expect(walked).toEqual(all.keys.map((k) => k.name))
      expect(pages).toBe(4)

      const first = yield* kv.list({ limit: 2 })
      const t = yield* steps(
        ctx,
        kv.list({ limit: 2 }),
        kv.list({ limit: 2, cursor: first.cursor }),
        kv.list({ prefix: "k" }),
        kv.list({ prefix: "k", limit: 2 }),
        kv.list({ prefix: "z", cursor: first.cursor }),
        kv.list({ prefix: "nothing" }),
        kv.list({ limit: 11 }),
        kv.list({ limit: 10 }),
        kv.list({ cursor: "garbage" }),
        kv.list({ cursor: "" })
      )
      expect(t.slice(0, 8).map((s) => (s as { ok: { keys: Array<{ name: string }>; list_complete: boolean } }).ok)).toMatchObject([
        { keys: [{ name: "A" }, { name: "a" }], list_complete: false },
        { keys: [{ name: "b" }, { name: "big" }], list_complete: false },
        { keys: [{ name: "k" }, { name: "k2" }], list_complete: true },
        { keys: [{ name: "k" }, { name: "k2" }], list_complete: true },
        { keys: [{ name: "z" }], list_complete: true },
        { keys: [], list_complete: true },
        { list_complete: true },
        { list_complete: false }
      ])
      return t
    })),

  defineCase("list limits: 1 to 1000, non-positive means the default, int32", (kv, ctx) =>
    Effect.gen(function*() {
      yield* Effect.forEach(["a", "b", "c"], (name) => kv.put(name, "1"))
      const t = yield* steps(
        ctx,
        kv.list({ limit: 0 }),
        kv.list({ limit: -1 }),
        kv.list({ limit: NaN }),
        kv.list({ limit: 0.5 }),
        kv.list({ limit: 2.9 }),
        kv.list({ limit: 1000 }),
        kv.list({ limit: 1000.9 }),
        kv.list({ limit: 1001 }),
        kv.list({ limit: 2 ** 31 }),
        kv.list({ prefix: "a".repeat(513) }),
        kv.list({ prefix: "a".repeat(512) }),
        kv.list({ prefix: "x\uD800" }),
        kv.list({ prefix: "\uD800".repeat(57) }),
        kv.list({ limit: 1001, prefix: "a".repeat(600) })
      )
      const abc = { ok: { keys: [{ name: "a" }, { name: "b" }, { name: "c" }], list_complete: true } }
      const empty = { ok: { keys: [], list_complete: true } }
      expect(t).toEqual([
        abc,
        abc,
        abc,
        abc,
        { ok: { keys: [{ name: "a" }, { name: "b" }], list_complete: false, cursor: "Yg==" } },
        abc,
        abc,
        kvError("list", "InvalidListLimit", "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."),
        kvError("list", "InvalidListLimit", outOfRange),
        kvError("list", "KeyTooLong", tooLong("GET", 513)),
        empty,
        empty,
        kvError("list", "KeyTooLong", tooLong("GET", 513)),
        kvError("list", "InvalidListLimit", "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.")
      ])
      return t
    })),

  defineCase("list reports expiration in epoch seconds and metadata as stored", (kv, ctx) =>
    Effect.gen(function*() {
      const t = yield* steps(
        ctx,
        kv.put("m1", "v", { metadata: { x: 1 }, expirationTtl: 3600 }),
        kv.put("m2", "v", { expiration: ctx.start + 7200 }),
        kv.put("m3", "v", { metadata: ["a", 1] }),
        kv.list({ prefix: "m" })
      )
      expect(t[3]).toEqual({
        ok: {
          keys: [
            { name: "m1", expiration: "start+3600", metadata: { x: 1 } },
            { name: "m2", expiration: "start+7200" },
            { name: "m3", metadata: ["a", 1] }
          ],
          list_complete: true
        }
      })
      const listed = yield* kv.list({ prefix: "m1" })
      const expiration = listed.keys[0]!.expiration!
      expect(Number.isInteger(expiration)).toBe(true)
      expect(Math.abs(expiration - (ctx.start + 3600))).toBeLessThanOrEqual(1)
      return t
    })),

  defineCase("getJson and putJson encode with a Schema; bad data is a typed error", (kv, ctx) =>
    Effect.gen(function*() {
      const joined = new Date("2026-01-02T03:04:05.000Z")
      const t = yield* steps(
        ctx,
        kv.putJson("profile", Profile, { name: "Ada", joined }),
        kv.get("profile"),
        kv.getJson("profile", Profile),
        kv.getJson("missing", Profile),
        kv.put("not-json", "{oops"),
        kv.getJson("not-json", Profile),
        kv.put("wrong-shape", JSON.stringify({ name: 42 })),
        kv.getJson("wrong-shape", Profile),
        kv.putJson("bad", Profile, { name: "Ada", joined: new Date(NaN) }),
        kv.getJson("", Profile)
      )
      expect(t).toEqual([
        done,
        some(`{"name":"Ada","joined":"2026-01-02T03:04:05.000Z"}`),
        some({ name: "Ada", joined }),
        none,
        done,
        { error: { _tag: "KvSchemaError", direction: "decode" } },
        done,
        { error: { _tag: "KvSchemaError", direction: "decode" } },
        { error: { _tag: "KvSchemaError", direction: "encode" } },
        kvError("get", "InvalidKey", "Key name cannot be empty.")
      ])
      return t
    }))
]

/** Runs a case on the Kv in context, with its start time read from the Clock. */
export const runCase = (c: ConformanceCase): Effect.Effect<ReadonlyArray<Step>, unknown, Kv> =>
  Effect.gen(function*() {
    const kv = yield* Kv
    const start = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    return yield* c.run(kv, { start })
  })
