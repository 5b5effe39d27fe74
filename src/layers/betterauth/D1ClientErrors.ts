/**
 * D1 as Better Auth's database, with the errors a client's input can cause turned into Better
 * Auth's own 4xx errors: a value over SQLite's size limit (413) and a broken constraint, such as
 * two sign-ups racing for one email (409). Better Auth would otherwise answer them as a 500, which
 * this worker reports as the provider being unavailable (503). Everything else passes unchanged.
 *
 * @module
 */
import { APIError } from "better-auth/api"

/** The client error a D1 failure stands for, if any. */
export const clientError = (cause: unknown): APIError | undefined => {
  const message = cause instanceof Error ? `${cause.message} ${String((cause as { cause?: unknown }).cause ?? "")}` : String(cause)
  if (/SQLITE_TOOBIG|too big/i.test(message)) {
    return new APIError("PAYLOAD_TOO_LARGE", { message: "A value is too large to store", code: "VALUE_TOO_LARGE" })
  }
  if (/SQLITE_CONSTRAINT|constraint failed/i.test(message)) {
    return new APIError("CONFLICT", { message: "The request conflicts with stored data", code: "CONFLICT" })
  }
  return undefined
}

const mapped = <A>(promise: Promise<A>): Promise<A> =>
  promise.catch((cause: unknown) => {
    throw clientError(cause) ?? cause
  })

const statements = new WeakMap<D1PreparedStatement, D1PreparedStatement>()

const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement => {
  const wrapped = {
    bind: (...values: Array<unknown>) => wrapStatement(statement.bind(...values)),
    first: (column?: string) => mapped(column === undefined ? statement.first() : statement.first(column)),
    run: () => mapped(statement.run()),
    all: () => mapped(statement.all()),
    raw: (options?: { columnNames?: boolean }) => mapped(statement.raw(options as { columnNames: true }))
  } as unknown as D1PreparedStatement
  statements.set(wrapped, statement)
  return wrapped
}

/** `db` with client errors mapped; statements it prepares can be batched on it as usual. */
export const withClientErrors = (db: D1Database): D1Database =>
  ({
    prepare: (query: string) => wrapStatement(db.prepare(query)),
    batch: (batch: Array<D1PreparedStatement>) => mapped(db.batch(batch.map((s) => statements.get(s) ?? s))),
    exec: (query: string) => mapped(db.exec(query)),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint)
  }) as unknown as D1Database
