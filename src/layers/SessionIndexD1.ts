/**
 * The session index over Better Auth's `session` table (`session.storeSessionInDatabase`), through
 * the Database service. Dates are stored as Better Auth's SQLite adapter stores them: ISO strings,
 * which compare in time order.
 *
 * @module
 */
import { Effect, Layer, Schema } from "effect"
import { Database } from "../services/Database.js"
import type { DatabaseError } from "../services/Database.js"
import { SessionIndex, SessionIndexError } from "../services/SessionIndex.js"
import { traced } from "../services/Tracing.js"

const Found = Schema.Struct({ found: Schema.Number })

const unavailable = (error: DatabaseError) => new SessionIndexError({ reason: "Unavailable", message: error.message })

export const make = Effect.gen(function*() {
  const db = yield* Database
  return SessionIndex.of({
    isLive: (token, now) =>
      db.all(Found, `select 1 as "found" from "session" where "token" = ? and "expiresAt" > ? limit 1`, token, new Date(now).toISOString())
        .pipe(Effect.map((rows) => rows.length > 0), Effect.mapError(unavailable), traced("SessionIndex.isLive")),
    extend: (token, expiresAt, updatedAt) =>
      db.run(`update "session" set "expiresAt" = ?, "updatedAt" = ? where "token" = ?`, expiresAt.toISOString(), updatedAt.toISOString(), token)
        .pipe(Effect.map((changes) => changes > 0), Effect.mapError(unavailable), traced("SessionIndex.extend"))
  })
})

/** The session index over the Database in context. */
export const layer: Layer.Layer<SessionIndex, never, Database> = Layer.effect(SessionIndex, make)
