/**
 * The Database service over a D1 binding.
 *
 * @module
 */
import { Effect, Layer, ParseResult, Schema } from "effect"
import { Database, DatabaseError } from "../services/Database.js"
import { perSchema } from "../services/SchemaCache.js"
import { traced } from "../services/Tracing.js"

const rowsDecoders = perSchema((row) => Schema.decodeUnknown(Schema.Array(row)))

/** The decoder of an array of `row`, built once per row schema (`perSchema`). */
const rowsDecoder = <A, I, R>(row: Schema.Schema<A, I, R>) =>
  rowsDecoders(row) as (rows: unknown) => Effect.Effect<ReadonlyArray<A>, ParseResult.ParseError, R>

const failed = (cause: unknown) => new DatabaseError({ message: cause instanceof Error ? cause.message : String(cause) })

export const make = (d1: D1Database) =>
  Database.of({
    all: (row, sql, ...params) =>
      Effect.tryPromise({ try: () => d1.prepare(sql).bind(...params).all(), catch: failed }).pipe(
        Effect.flatMap((result) => rowsDecoder(row)(result.results)),
        Effect.mapError((error) =>
          ParseResult.isParseError(error) ? new DatabaseError({ message: `row does not match its schema: ${error.message}` }) : error
        ),
        traced("Database.all")
      ),
    run: (sql, ...params) =>
      Effect.tryPromise({ try: () => d1.prepare(sql).bind(...params).run(), catch: failed }).pipe(
        Effect.map((result) => result.meta.changes),
        traced("Database.run")
      )
  })

/** The Database over the given D1 binding. */
export const layer = (d1: D1Database): Layer.Layer<Database> => Layer.succeed(Database, make(d1))
