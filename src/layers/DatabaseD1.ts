/**
 * The Database service over a D1 binding.
 *
 * @module
 */
import { Effect, Layer, ParseResult, Schema } from "effect"
import { Database, DatabaseError } from "../services/Database.js"

const failed = (cause: unknown) => new DatabaseError({ message: cause instanceof Error ? cause.message : String(cause) })

export const make = (d1: D1Database) =>
  Database.of({
    all: (row, sql, ...params) =>
      Effect.tryPromise({ try: () => d1.prepare(sql).bind(...params).all(), catch: failed }).pipe(
        Effect.flatMap((result) => Schema.decodeUnknown(Schema.Array(row))(result.results)),
        Effect.mapError((error) =>
          ParseResult.isParseError(error) ? new DatabaseError({ message: `row does not match its schema: ${error.message}` }) : error
        ),
        Effect.withSpan("Database.all", { captureStackTrace: false })
      ),
    run: (sql, ...params) =>
      Effect.tryPromise({ try: () => d1.prepare(sql).bind(...params).run(), catch: failed }).pipe(
        Effect.map((result) => result.meta.changes),
        Effect.withSpan("Database.run", { captureStackTrace: false })
      )
  })

/** The Database over the given D1 binding. */
export const layer = (d1: D1Database): Layer.Layer<Database> => Layer.succeed(Database, make(d1))
