import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import { Effect, Schema } from "effect"
import { Cache } from "../../services/Cache.js"
import { CurrentUser } from "../../services/CurrentUser.js"
import { Database } from "../../services/Database.js"
import * as Action from "../Action.js"
import { ServiceUnavailable } from "../ApiErrors.js"

export const Output = Schema.Struct({ methods: Schema.Array(Schema.String) })

export const endpoint = HttpApiEndpoint.get("signInMethods", "/api/actions/sign-in-methods")
  .addSuccess(Output)
  .addError(ServiceUnavailable)

const Row = Schema.Struct({ providerId: Schema.String })

/** How the signed-in user can sign in (`credential` is a password), cached per user for a minute. */
export const handler = Effect.gen(function*() {
  const user = yield* CurrentUser
  const cache = yield* Cache
  const db = yield* Database
  const query = db.all(Row, `select "providerId" from "account" where "userId" = ?1 order by 1`, user.id)
  return yield* cache.getOrSet(
    `sign-in-methods:${user.id}`,
    Output,
    Effect.map(query, (rows) => ({ methods: rows.map((row) => row.providerId) })),
    { ttl: "1 minute" }
  )
}).pipe(Effect.catchTag("DatabaseError", () => Effect.fail(new ServiceUnavailable({ error: "Database unavailable" }))))

export const action = Action.make(endpoint, () => handler)
