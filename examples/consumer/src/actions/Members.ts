/**
 * An action of this project's own: how many members the team has, counted in D1 (Better Auth's
 * `user` table) and cached in KV for five minutes (cache-aside), for signed-in users only.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import { Action, ServiceUnavailable } from "edge-auth-state"
import { Cache, Database } from "edge-auth-state/services"
import { Clock, Effect, Schema } from "effect"

export const Output = Schema.Struct({ members: Schema.Int, countedAt: Schema.Date })

export const endpoint = HttpApiEndpoint.get("members", "/api/actions/members")
  .addSuccess(Output)
  .addError(ServiceUnavailable)

const Row = Schema.Struct({ members: Schema.Int })

/** The count itself: what the cache saves. */
const count = Effect.gen(function*() {
  const db = yield* Database
  const rows = yield* db.all(Row, `select count(*) as "members" from "user"`)
  return { members: rows[0]?.members ?? 0, countedAt: new Date(yield* Clock.currentTimeMillis) }
})

export const handler = Effect.gen(function*() {
  const cache = yield* Cache
  return yield* cache.getOrSet("members", Output, count, { ttl: "5 minutes" })
}).pipe(Effect.catchTag("DatabaseError", () => Effect.fail(new ServiceUnavailable({ error: "Members unavailable" }))))

export const action = Action.make(endpoint, () => handler)
