/**
 * Rate limiting per client address: the middleware. The rules are one table (`ratelimit/Rules.ts`);
 * the budgets of the same rules are charged once Better Auth has routed a request
 * (`ratelimit/Budgets.ts`).
 *
 * Every request is matched on its normalised path (`ratelimit/Endpoint.ts`), so variants of a
 * route share its bucket, whether or not they would be routed. The bucket is
 * `ratelimit:{ip}:{rule}` (`ratelimit/ClientAddress.ts`). Requests no rule covers are let through
 * without I/O.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { RateLimiter } from "../../services/RateLimiter.js"
import { jsonError } from "../ErrorResponses.js"
import { clientBucket } from "../ratelimit/ClientAddress.js"
import { countIn } from "../ratelimit/Count.js"
import { normalizeEndpoint, pathOf } from "../ratelimit/Endpoint.js"
import type { CountedBucket } from "../ratelimit/Headers.js"
import { mergeFields, rateLimitFields } from "../ratelimit/Headers.js"
import { matchRule, RateLimitRules } from "../ratelimit/Rules.js"

/** The headers that name the client's address, read from workerd's request (not the platform's copy of all). */
const addressHeaders = (request: HttpServerRequest.HttpServerRequest): Readonly<Record<string, string | undefined>> =>
  request.source instanceof Request
    ? { "cf-connecting-ip": request.source.headers.get("cf-connecting-ip") ?? undefined, "x-forwarded-for": request.source.headers.get("x-forwarded-for") ?? undefined }
    : request.headers

/** `fields` on `response`, joined with any fields of the same names it has (Better Auth's budgets). */
const withFields = (response: HttpServerResponse.HttpServerResponse, fields: Record<string, string>) => {
  const later: Record<string, string> = {}
  for (const name of Object.keys(fields)) if (response.headers[name] !== undefined) later[name] = response.headers[name]
  return HttpServerResponse.setHeaders(response, mergeFields(fields, later))
}

/** The middleware: counts requests to limited routes and answers 429 once a bucket is spent. */
export const make = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  const settings = yield* RateLimitRules
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const rule = matchRule(settings.rules, normalizeEndpoint(pathOf(request.url)))
      if (rule === undefined) return app
      const client = clientBucket(addressHeaders(request), settings.trustForwardedFor)
      const counted: Array<CountedBucket> = []
      return Effect.flatMap(countIn(limiter, rule, counted, { key: `${client}:${rule.name}`, name: rule.name, policy: rule.policy, client }), (refusal) => {
        if (refusal !== undefined) return Effect.succeed(jsonError(refusal.status, refusal.error, refusal.headers))
        if (counted.length === 0) return app
        const fields = rateLimitFields(counted)
        return Effect.zipRight(HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(withFields(response, fields))), app)
      })
    })
})
