import { env } from "cloudflare:test"
import { APIError } from "better-auth/api"
import { describe, expect, it } from "vitest"
import { clientError, withClientErrors } from "../../src/layers/betterauth/D1ClientErrors.js"

const insertUser = (db: D1Database, id: string, email: string, name = "N") =>
  db.prepare(`insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") values (?, ?, ?, 0, ?, ?)`)
    .bind(id, name, email, new Date().toISOString(), new Date().toISOString())
    .run()

describe("D1 errors a client can cause are Better Auth 4xx errors (real D1)", () => {
  const db = withClientErrors(env.DB)

  it("a broken unique constraint is a 409", async () => {
    const email = `dup-${crypto.randomUUID()}@example.com`
    await insertUser(db, crypto.randomUUID(), email)
    const error = await insertUser(db, crypto.randomUUID(), email).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).statusCode).toBe(409)
  })

  it("a value over D1's size limit is a 413 (Miniflare's SQLite takes 1 GB, so D1's own message)", () => {
    // What production D1 throws for a value over its 2 MB limit.
    const error = clientError(new Error("D1_ERROR: string or blob too big: SQLITE_TOOBIG"))
    expect(error).toBeInstanceOf(APIError)
    expect(error!.statusCode).toBe(413)
  })

  it("other errors pass unchanged; batches of its statements run", async () => {
    const error = await db.prepare("select * from no_such_table").all().catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(APIError)
    const [one, two] = await db.batch([db.prepare("select 1 as n"), db.prepare("select ? as n").bind(2)])
    expect([one!.results[0], two!.results[0]]).toEqual([{ n: 1 }, { n: 2 }])
  })
})
