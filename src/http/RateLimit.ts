/**
 * Rate limiting of the auth routes, per client address: the middleware. The rules are one table
 * (`ratelimit/Rules.ts`); the per-account and per-user buckets of the same rules are counted once
 * Better Auth has routed a request (`ratelimit/Attempts.ts`).
 *
 * Every request is matched on its normalised path (`ratelimit/Endpoint.ts`), so variants of a
 * route share its bucket, whether or not they would be routed. The bucket is
 * `ratelimit:{ip}:{rule}` (`ratelimit/ClientAddress.ts`).
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { consumePlainOf, RateLimiter } from "../services/RateLimiter.js"
import { jsonError } from "./JsonErrors.js"
import { clientBucket } from "./ratelimit/ClientAddress.js"
import { countIn, countInPlain } from "./ratelimit/Count.js"
import type { Refusal } from "./ratelimit/Count.js"
import { normalizeEndpoint, pathOf } from "./ratelimit/Endpoint.js"
import type { Counted } from "./ratelimit/Headers.js"
import { rateLimitFields } from "./ratelimit/Headers.js"
import { matchRule, RateLimitRules } from "./ratelimit/Rules.js"

export { clientBucket, ipBucket } from "./ratelimit/ClientAddress.js"
export { normalizeEndpoint, pathOf } from "./ratelimit/Endpoint.js"
export { mergeFields, rateLimitFields } from "./ratelimit/Headers.js"
export type { RateLimitRule, RateLimitSettings } from "./ratelimit/Rules.js"
export { defaultRules, matchRule, RateLimitRules, rulePolicies } from "./ratelimit/Rules.js"

const withHeaders = (headers: Record<string, string>) =>
  HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(HttpServerResponse.setHeaders(response, headers)))

/** What the limiter says of a request: refused with this answer, or admitted with these headers. */
export type Verdict =
  | { readonly _tag: "Refused"; readonly response: HttpServerResponse.HttpServerResponse }
  | { readonly _tag: "Admitted"; readonly headers: Record<string, string> }

const admittedUnlimited: Verdict = { _tag: "Admitted", headers: {} }

/** The headers that name the client's address, read from workerd's request (not a copy of all). */
const addressHeaders = (headers: Headers): Readonly<Record<string, string | undefined>> => ({
  "cf-connecting-ip": headers.get("cf-connecting-ip") ?? undefined,
  "x-forwarded-for": headers.get("x-forwarded-for") ?? undefined
})

/**
 * The platform's `headers` record copies every header, which showed in the profile of an auth
 * request: a request from workerd is read from its own headers.
 */
const addressHeadersOf = (request: HttpServerRequest.HttpServerRequest): Readonly<Record<string, string | undefined>> =>
  request.source instanceof Request ? addressHeaders(request.source.headers) : request.headers

/** The bucket of the rule covering a request to `url`, or none: requests no rule covers are not counted. */
const bucketOf = (settings: RateLimitRules["Type"], url: string, headers: () => Readonly<Record<string, string | undefined>>) => {
  const rule = matchRule(settings.rules, normalizeEndpoint(pathOf(url)))
  if (rule === undefined) return undefined
  const client = clientBucket(headers(), settings.trustForwardedFor)
  return { rule, bucket: { key: `${client}:${rule.name}`, name: rule.name, policy: rule.policy, client } }
}

const verdictOf = (refusal: Refusal | undefined, counted: ReadonlyArray<Counted>): Verdict =>
  refusal !== undefined
    ? { _tag: "Refused", response: jsonError(refusal.status, refusal.error, refusal.headers) }
    : { _tag: "Admitted", headers: counted.length > 0 ? rateLimitFields(counted) : {} }

/**
 * Counts a request in the client-address bucket of the rule covering it: the `Verdict`. Requests
 * no rule covers are admitted without I/O.
 */
export const makeDecide = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  const settings = yield* RateLimitRules

  return (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Verdict> => {
    const found = bucketOf(settings, request.url, () => addressHeadersOf(request))
    if (found === undefined) return Effect.succeed(admittedUnlimited)
    const counted: Array<Counted> = []
    return Effect.map(countIn(limiter, found.rule, counted, found.bucket), (refusal) => verdictOf(refusal, counted))
  }
})

/**
 * The same verdict from promise code (the auth routes' plain path, see `PlainFace`): counted with
 * the limiter's plain `consume`, what it logs run with `run` (the request's context).
 */
export const makeDecidePlain = Effect.gen(function*() {
  const consume = consumePlainOf(yield* RateLimiter, yield* Effect.runtime<never>())
  const settings = yield* RateLimitRules

  return (request: Request, run: (effect: Effect.Effect<void>) => Promise<void>): Verdict | Promise<Verdict> => {
    const found = bucketOf(settings, request.url, () => addressHeaders(request.headers))
    if (found === undefined) return admittedUnlimited
    const counted: Array<Counted> = []
    return countInPlain(consume, run, found.rule, counted, found.bucket).then((refusal) => verdictOf(refusal, counted))
  }
})

/** The middleware: counts requests to limited routes and answers 429 once a bucket is spent. */
export const make = Effect.map(makeDecide, (decide) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(decide(request), (verdict) => {
        if (verdict._tag === "Refused") return Effect.succeed(verdict.response)
        return Object.keys(verdict.headers).length === 0 ? app : Effect.zipRight(withHeaders(verdict.headers), app)
      })))
