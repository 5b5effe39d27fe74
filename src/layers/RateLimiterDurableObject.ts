/**
 * The rate limiter over a Durable Object: exact across isolates and locations.
 *
 * One object per bucket key (`idFromName(key)`, e.g. `203.0.113.7:sign-in`). A bucket's requests
 * all reach its one object, which counts them one at a time against SQLite storage
 * (`ctx.storage.sql`, synchronous, so nothing runs between a read and its write): a burst from any
 * number of isolates or locations admits exactly the limit. Why one object per key rather than
 * shards of many keys: the objects of unrelated clients never queue behind each other, an object
 * holds a handful of rows, and a hot key (one attacker) slows only itself. An alarm deletes a
 * bucket's state once its windows have ended, so idle buckets cost no storage.
 *
 * The counting itself is `services/RateLimitWindows` (fixed or sliding window, as the policy
 * says), on Effect's Clock: tests drive it with `TestClock`, in Node (`layerMemory`) or inside the
 * object (`RateLimiterObject.count`).
 *
 * The object is reached with `fetch` (a small JSON request), not RPC, so this module imports
 * nothing from `cloudflare:workers` and loads in Node as well.
 *
 * @module
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { consume, CounterState } from "../services/RateLimitWindows.js"
import type { CountOutcome, CounterStorage } from "../services/RateLimitWindows.js"
import { RateLimiter, RateLimiterError } from "../services/RateLimiter.js"
import type { RateLimitPolicy, RateLimiterService } from "../services/RateLimiter.js"
import { traced } from "../services/Tracing.js"
import { callObject, CleanupAlarm } from "./ObjectNamespace.js"
import type { ObjectNamespace } from "./ObjectNamespace.js"

/** The binding name `wrangler.toml` gives the object's namespace. */
export const bindingName = "RATE_LIMITER"

const WirePolicy = Schema.Struct({
  limit: Schema.Int.pipe(Schema.positive()),
  windowMillis: Schema.Int.pipe(Schema.positive()),
  algorithm: Schema.Literal("fixed-window", "sliding-window")
})
const WireDecision = Schema.Struct({
  allowed: Schema.Boolean,
  limit: Schema.Number,
  remaining: Schema.Number,
  resetAfterMillis: Schema.Number
})
const decodePolicy = Schema.decodeUnknownEither(Schema.parseJson(WirePolicy))
const decodeDecision = Schema.decodeUnknown(WireDecision)
const decodeState = Schema.decodeUnknownSync(Schema.parseJson(CounterState))
const encodeState = Schema.encodeSync(Schema.parseJson(CounterState))

const toWire = (policy: RateLimitPolicy): typeof WirePolicy.Type => ({
  limit: policy.limit,
  windowMillis: Math.max(1, Math.round(Duration.toMillis(policy.window))),
  algorithm: policy.algorithm ?? "fixed-window"
})

/**
 * The Durable Object counting one bucket. Exported from the worker entry; declared in
 * `wrangler.toml` (`[[durable_objects.bindings]]` and a `new_sqlite_classes` migration).
 */
export class RateLimiterObject implements DurableObject {
  readonly #ctx: DurableObjectState
  #tableReady = false
  readonly #cleanupAlarm: CleanupAlarm

  constructor(ctx: DurableObjectState, _env: unknown) {
    this.#ctx = ctx
    this.#cleanupAlarm = new CleanupAlarm(ctx.storage)
  }

  #sql(): SqlStorage {
    const sql = this.#ctx.storage.sql
    if (!this.#tableReady) {
      sql.exec("CREATE TABLE IF NOT EXISTS counters (policy TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at INTEGER NOT NULL)")
      this.#tableReady = true
    }
    return sql
  }

  readonly #storage: CounterStorage = {
    read: (policyKey) => {
      const rows = this.#sql().exec<{ state: string }>("SELECT state FROM counters WHERE policy = ?", policyKey).toArray()
      return rows.length === 0 ? Option.none() : Option.some(decodeState(rows[0]!.state))
    },
    write: (policyKey, state, expiresAt) => {
      this.#sql().exec(
        "INSERT INTO counters (policy, state, expires_at) VALUES (?, ?, ?) ON CONFLICT (policy) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
        policyKey,
        encodeState(state),
        expiresAt
      )
    }
  }

  /** Counts one request under `policy` at the Clock's time. */
  count(policy: RateLimitPolicy): Effect.Effect<CountOutcome> {
    return consume(this.#storage, policy)
  }

  /** Deletes state whose windows have ended (by the Clock); the time of the next cleanup, if any. */
  readonly cleanup: Effect.Effect<number | undefined> = Effect.map(Clock.currentTimeMillis, (now) => {
    const sql = this.#sql()
    sql.exec("DELETE FROM counters WHERE expires_at <= ?", now)
    const next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM counters").one().next
    return next ?? undefined
  })

  async fetch(request: Request): Promise<Response> {
    const policy = decodePolicy(await request.text())
    if (policy._tag === "Left") return Response.json({ error: "Invalid rate limit policy" }, { status: 400 })
    const { windowMillis, ...rest } = policy.right
    const counted = Effect.runSync(this.count({ ...rest, window: Duration.millis(windowMillis) }))
    if (counted.decision.allowed) await this.#cleanupAlarm.schedule(counted.expiresAt)
    const { allowed, limit, remaining, resetAfter } = counted.decision
    return Response.json({ allowed, limit, remaining, resetAfterMillis: Duration.toMillis(resetAfter) })
  }

  async alarm(): Promise<void> {
    if ((await this.#cleanupAlarm.fire(() => Effect.runSync(this.cleanup))) === "emptied") this.#tableReady = false
  }
}

const unavailable = (message: string) => new RateLimiterError({ reason: "Unavailable", message })


/** The rate limiter over the Durable Object namespace `namespace`: one object per bucket key. */
export const make = (namespace: ObjectNamespace): RateLimiterService =>
  RateLimiter.of({
    consume: (key, policy) =>
      callObject(namespace, key, { url: "https://rate-limiter.internal/consume", body: toWire(policy) }, decodeDecision, {
        what: "rate limiter",
        unavailable
      }).pipe(
        Effect.map((wire) => ({ allowed: wire.allowed, limit: wire.limit, remaining: wire.remaining, resetAfter: Duration.millis(wire.resetAfterMillis) })),
        traced("RateLimiter.consume")
      )
  })

/** The rate limiter over the Durable Object namespace bound as `RATE_LIMITER`. */
export const layer = (namespace: ObjectNamespace): Layer.Layer<RateLimiter> => Layer.succeed(RateLimiter, make(namespace))

/**
 * The object's counting, in memory, one counter per bucket key: what the Durable Object backend
 * decides, without workerd, for tests under `TestClock`. State is forgotten once its windows end.
 */
export const makeMemory = Effect.sync(() => {
  const buckets = new Map<string, Map<string, { state: CounterState; expiresAt: number }>>()
  return RateLimiter.of({
    consume: (key, policy) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        let bucket = buckets.get(key)
        if (bucket === undefined) buckets.set(key, bucket = new Map())
        const policies = bucket
        const storage: CounterStorage = {
          read: (policyKey) => {
            const entry = policies.get(policyKey)
            return entry === undefined || entry.expiresAt <= now ? Option.none() : Option.some(entry.state)
          },
          write: (policyKey, state, expiresAt) => {
            policies.set(policyKey, { state, expiresAt })
          }
        }
        return Effect.map(consume(storage, policy), ({ decision }) => decision)
      })
  })
})

/** `makeMemory` as a layer: a fresh set of counters each time it is built. */
export const layerMemory: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, makeMemory)
