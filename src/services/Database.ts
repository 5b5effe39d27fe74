/**
 * The SQL database (D1) as a service: queries whose rows are decoded with a Schema.
 *
 * @module
 */
import { Context, Effect, Schema } from "effect"

/** The query failed, or a row did not match its schema. */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  message: Schema.String
}) {}

export type SqlValue = string | number | boolean | null

export interface DatabaseService {
  /** Every row of `sql`, each decoded with `row`. */
  readonly all: <A, I>(row: Schema.Schema<A, I, never>, sql: string, ...params: ReadonlyArray<SqlValue>) => Effect.Effect<ReadonlyArray<A>, DatabaseError>
  /** Runs a statement that returns no rows; answers how many rows it changed. */
  readonly run: (sql: string, ...params: ReadonlyArray<SqlValue>) => Effect.Effect<number, DatabaseError>
}

export class Database extends Context.Tag("edge-auth-state/Database")<Database, DatabaseService>() {}

/** The first row of a query, if any. */
export const first = <A, I>(row: Schema.Schema<A, I, never>, sql: string, ...params: ReadonlyArray<SqlValue>) =>
  Effect.flatMap(Database, (db) => Effect.map(db.all(row, sql, ...params), (rows) => rows[0]))
