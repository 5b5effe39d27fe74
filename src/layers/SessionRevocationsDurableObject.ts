/**
 * Session revocations over a Durable Object: strongly consistent, seen everywhere at once.
 *
 * One object per user (`idFromName(userId)`), holding that user's one record in SQLite storage
 * (`ctx.storage.sql`, synchronous, so nothing runs between a read and its write): a `check` is one
 * round trip to the user's object and one row read there. Why one object per user rather than a
 * shared list: the checks of unrelated users never queue behind each other, the record is small
 * (the revoke-all time and the ids of revoked sessions not yet expired), and a user's revocations
 * all reach the one object that answers their checks. An alarm forgets entries once they have
 * expired, and an object left with nothing deletes its storage, so it costs nothing.
 *
 * The rule itself is `services/SessionRevocationRecord`, on Effect's Clock: tests drive it with
 * `TestClock`, in Node (`layerMemory`) or inside the object (`SessionRevocationsObject.check`, ...).
 *
 * The object is reached with `fetch` (a small JSON request), not RPC, so this module imports
 * nothing from `cloudflare:workers` and loads in Node as well.
 *
 * @module
 */
import { Effect, Layer, Schema } from "effect"
import type { ParseResult } from "effect"
import * as Rule from "../services/SessionRevocationRecord.js"
import type { RecordStorage, RevocationRecord } from "../services/SessionRevocationRecord.js"
import { SessionRevocations, SessionRevocationsError, SessionStatus } from "../services/SessionRevocations.js"
import type { SessionRevocationsService } from "../services/SessionRevocations.js"
import { traced } from "../services/Tracing.js"
import { callObject, CleanupAlarm } from "./ObjectNamespace.js"
import type { ObjectNamespace } from "./ObjectNamespace.js"

/** The binding name `wrangler.toml` gives the object's namespace. */
export const bindingName = "SESSION_REVOCATIONS"

/** What the client asks the user's object (the user is the object). */
const WireCommand = Schema.Union(
  Schema.TaggedStruct("Check", { sessionId: Schema.String, createdAt: Schema.Number }),
  Schema.TaggedStruct("Revoke", { sessionId: Schema.String, expiresAt: Schema.Number }),
  Schema.TaggedStruct("RevokeAll", { at: Schema.Number, expiresAt: Schema.Number })
)
type WireCommand = typeof WireCommand.Type
const WireStatus = Schema.Struct({ status: SessionStatus })
const WireDone = Schema.Struct({ done: Schema.Literal(true) })

const decodeCommand = Schema.decodeUnknownEither(Schema.parseJson(WireCommand))
const decodeStatus = Schema.decodeUnknown(WireStatus)
const decodeDone = Schema.decodeUnknown(WireDone)
const decodeRecord = Schema.decodeUnknownSync(Schema.parseJson(Rule.RevocationRecord))
const encodeRecord = Schema.encodeSync(Schema.parseJson(Rule.RevocationRecord))

/**
 * The Durable Object holding one user's revocations. Exported from the worker entry; declared in
 * `wrangler.toml` (`[[durable_objects.bindings]]` and a `new_sqlite_classes` migration).
 */
export class SessionRevocationsObject implements DurableObject {
  readonly #ctx: DurableObjectState
  /** Whether the table exists: `undefined` not known yet. */
  #hasTable: boolean | undefined = undefined
  readonly #cleanupAlarm: CleanupAlarm

  constructor(ctx: DurableObjectState, _env: unknown) {
    this.#ctx = ctx
    this.#cleanupAlarm = new CleanupAlarm(ctx.storage)
  }

  /**
   * The table, if it exists. Only a write creates it: most users are never revoked, and a check
   * of theirs must not leave their object with storage that no alarm would ever delete.
   */
  #table(): SqlStorage | undefined {
    const sql = this.#ctx.storage.sql
    this.#hasTable ??= sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revocations'").toArray().length > 0
    return this.#hasTable ? sql : undefined
  }

  readonly #storage: RecordStorage = {
    read: () => {
      const rows = this.#table()?.exec<{ record: string }>("SELECT record FROM revocations WHERE id = 1").toArray() ?? []
      return rows.length === 0 ? Rule.emptyRecord : decodeRecord(rows[0]!.record)
    },
    write: (record) => {
      if (Rule.isEmpty(record)) {
        this.#table()?.exec("DELETE FROM revocations WHERE id = 1")
        return
      }
      const sql = this.#ctx.storage.sql
      if (this.#table() === undefined) {
        // One row: the user's record.
        sql.exec("CREATE TABLE revocations (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL)")
        this.#hasTable = true
      }
      sql.exec(
        "INSERT INTO revocations (id, record) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        encodeRecord(record)
      )
    }
  }

  /** The status of one of this user's sessions, at the Clock's time. */
  check(session: { readonly sessionId: string; readonly createdAt: number }): Effect.Effect<SessionStatus> {
    return Rule.check(this.#storage, session)
  }

  /** Revokes one of this user's sessions until `expiresAt`; the record after. */
  revoke(session: Rule.RevokedSession): Effect.Effect<RevocationRecord> {
    return Rule.revoke(this.#storage, session)
  }

  /** Revokes this user's sessions created at or before `at`, until `expiresAt`; the record after. */
  revokeAll(revoked: Rule.RevokedAll): Effect.Effect<RevocationRecord> {
    return Rule.revokeAll(this.#storage, revoked)
  }

  /** Forgets what has expired (by the Clock); the time of the next cleanup, if anything is left. */
  readonly cleanup: Effect.Effect<number | undefined> = Effect.map(Rule.prune(this.#storage), Rule.nextPruneAt)

  async fetch(request: Request): Promise<Response> {
    const decoded = decodeCommand(await request.text())
    if (decoded._tag === "Left") return Response.json({ error: "Invalid revocation command" }, { status: 400 })
    const command = decoded.right
    if (command._tag === "Check") return Response.json({ status: Effect.runSync(this.check(command)) })
    const record = Effect.runSync(command._tag === "Revoke" ? this.revoke(command) : this.revokeAll(command))
    const next = Rule.nextPruneAt(record)
    if (next !== undefined) await this.#cleanupAlarm.schedule(next)
    return Response.json({ done: true })
  }

  async alarm(): Promise<void> {
    if ((await this.#cleanupAlarm.fire(() => Effect.runSync(this.cleanup))) === "emptied") this.#hasTable = false
  }
}

const unavailable = (message: string) => new SessionRevocationsError({ reason: "Unavailable", message })

/** The service over the Durable Object namespace `namespace`: one object per user. */
export const make = (namespace: ObjectNamespace): SessionRevocationsService => {
  const send = <A>(userId: string, command: WireCommand, decode: (body: unknown) => Effect.Effect<A, ParseResult.ParseError>) =>
    callObject(namespace, userId, { url: "https://session-revocations.internal/", body: command }, decode, {
      what: "session revocations",
      unavailable
    })
  return SessionRevocations.of({
    check: ({ userId, sessionId, createdAt }) =>
      send(userId, { _tag: "Check", sessionId, createdAt }, decodeStatus).pipe(
        Effect.map((answer) => answer.status),
        traced("SessionRevocations.check")
      ),
    revoke: ({ userId, sessionId, expiresAt }) =>
      send(userId, { _tag: "Revoke", sessionId, expiresAt }, decodeDone).pipe(Effect.asVoid, traced("SessionRevocations.revoke")),
    revokeAll: ({ userId, at, expiresAt }) =>
      send(userId, { _tag: "RevokeAll", at, expiresAt }, decodeDone).pipe(Effect.asVoid, traced("SessionRevocations.revokeAll"))
  })
}

/** The service over the Durable Object namespace bound as `SESSION_REVOCATIONS`. */
export const layer = (namespace: ObjectNamespace): Layer.Layer<SessionRevocations> =>
  Layer.succeed(SessionRevocations, make(namespace))

/**
 * The object's rule, in memory, one record per user: what the Durable Object backend decides,
 * without workerd, for tests under `TestClock`. Expired entries are ignored by `check` and dropped
 * at the user's next revocation; an empty record is deleted.
 */
export const makeMemory = Effect.sync(() => {
  const records = new Map<string, RevocationRecord>()
  const storageOf = (userId: string): RecordStorage => ({
    read: () => records.get(userId) ?? Rule.emptyRecord,
    write: (record) => {
      if (Rule.isEmpty(record)) records.delete(userId)
      else records.set(userId, record)
    }
  })
  return SessionRevocations.of({
    check: ({ userId, ...session }) => Rule.check(storageOf(userId), session),
    revoke: ({ userId, ...session }) => Effect.asVoid(Rule.revoke(storageOf(userId), session)),
    revokeAll: ({ userId, ...revoked }) => Effect.asVoid(Rule.revokeAll(storageOf(userId), revoked))
  })
})

/** `makeMemory` as a layer: a fresh set of records each time it is built. */
export const layerMemory: Layer.Layer<SessionRevocations> = Layer.effect(SessionRevocations, makeMemory)
