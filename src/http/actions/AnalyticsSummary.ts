/**
 * An example custom action: the dashboard's analytics summary, read from D1 and cached in KV for
 * five minutes. It needs the signed-in user, the cache and the database, and nothing from HTTP:
 * its input and output are Schemas, and `handler` is a plain Effect a test can run with the kit.
 * `action` pairs the endpoint with the handler; `actions/index.ts` lists it.
 *
 * @module
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as OpenApi from "@effect/platform/OpenApi"
import { Clock, Effect, Schema } from "effect"
import { Cache } from "../../services/Cache.js"
import { CurrentUser } from "../../services/CurrentUser.js"
import { Database, first } from "../../services/Database.js"
import * as Action from "../Action.js"
import { ServiceUnavailable } from "../ApiErrors.js"

/** How many days the summary covers when the request does not say. */
export const defaultDays = 7

/**
 * `?days=1..90`, optional: `defaultDays` when absent. The handler applies the default, not the
 * schema: the typed client sends the schema's decoded type, in which `optionalWith(..., { default })`
 * makes `days` required. The OpenAPI document states the default (the `default` annotation).
 */
export const Input = Schema.Struct({
  days: Schema.optionalWith(
    Schema.NumberFromString.pipe(
      Schema.int(),
      Schema.between(1, 90),
      // One plain sentence for every way the value can be wrong (not a number, a fraction, out of range).
      Schema.annotations({ message: () => ({ message: "must be a whole number from 1 to 90", override: true }) })
    ),
    { exact: true }
  ).annotations({
    description: `The days covered, counting today: a whole number from 1 to 90. Default ${defaultDays}.`,
    default: defaultDays
  })
})
export type Input = typeof Input.Type

export const Output = Schema.Struct({
  days: Schema.Int,
  from: Schema.String,
  to: Schema.String,
  totalViews: Schema.Int,
  uniquePaths: Schema.Int,
  topPaths: Schema.Array(Schema.Struct({ path: Schema.String, views: Schema.Int })),
  generatedAt: Schema.Date
})
export type Output = typeof Output.Type

export const endpoint = HttpApiEndpoint.get("analyticsSummary", "/api/actions/analytics-summary")
  .setUrlParams(Input)
  .addSuccess(Output)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Summary, "Page views of the last `days` days: totals and the top paths. Cached for 5 minutes.")

const Totals = Schema.Struct({ totalViews: Schema.Int, uniquePaths: Schema.Int })
const TopPath = Schema.Struct({ path: Schema.String, views: Schema.Int })

const isoDay = (millis: number) => new Date(millis).toISOString().slice(0, 10)

/** The query behind the summary: what the cache saves. */
export const query = (days: number) =>
  Effect.gen(function*() {
    const db = yield* Database
    const now = yield* Clock.currentTimeMillis
    const to = isoDay(now)
    const from = isoDay(now - (days - 1) * 86_400_000)
    const totals = yield* first(
      Totals,
      `select coalesce(sum("views"), 0) as "totalViews", count(distinct "path") as "uniquePaths"
         from "page_views" where "day" between ?1 and ?2`,
      from,
      to
    )
    const topPaths = yield* db.all(
      TopPath,
      `select "path", sum("views") as "views" from "page_views" where "day" between ?1 and ?2
         group by "path" order by "views" desc, "path" limit 5`,
      from,
      to
    )
    return {
      days,
      from,
      to,
      totalViews: totals?.totalViews ?? 0,
      uniquePaths: totals?.uniquePaths ?? 0,
      topPaths,
      generatedAt: new Date(now)
    }
  })

/**
 * The action (`days` is `defaultDays` when absent). The summary is the same for every user, so one
 * cache entry per `days` serves all.
 */
export const handler = ({ days = defaultDays }: Input) =>
  Effect.gen(function*() {
    const user = yield* CurrentUser
    const cache = yield* Cache
    yield* Effect.annotateCurrentSpan("user", user.id)
    return yield* cache.getOrSet(`analytics-summary:${days}`, Output, query(days), { ttl: "5 minutes" })
  }).pipe(
    Effect.catchTag("DatabaseError", (error) =>
      Effect.zipRight(
        Effect.logError("analytics query failed", error.message),
        Effect.fail(new ServiceUnavailable({ error: "Analytics unavailable" }))
      ))
  )

export const action = Action.make(endpoint, ({ urlParams }) => handler(urlParams))
