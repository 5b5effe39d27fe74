/**
 * CORS for browser apps on trusted origins (`TrustedOrigins`), written by the platform's own
 * `HttpMiddleware.cors`, on every route: the API's and Better Auth's.
 *
 * Which origin is trusted is decided here, per request, and only a trusted origin's requests go
 * through `HttpMiddleware.cors`; every other request passes without a CORS header, so an untrusted
 * page learns nothing and its browser refuses the answer.
 *
 * Every `OPTIONS` request is answered here, before the body is read or anything is counted, so a
 * preflight never counts against a bucket: 204, with the CORS headers when the origin is trusted.
 *
 * Credentials (cookies) are not allowed across origins: a browser app authenticates with the Bearer
 * token (`set-auth-token`), so a page elsewhere can never ride on a cookie session.
 *
 * @module
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { TrustedOrigins } from "../../services/TrustedOrigins.js"

/**
 * Response headers a page may read: the Bearer token of a sign-in, the id to quote in a support
 * request, and the rate-limit state, so an app can back off before it is refused.
 */
export const exposedHeaders = ["set-auth-token", "x-request-id", "ratelimit", "ratelimit-policy", "retry-after"]

/** Request headers a page may send besides the CORS-safelisted ones. */
export const allowedHeaders = ["authorization", "content-type"]

export const allowedMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

/** How long (seconds) a browser may reuse a preflight's answer. */
export const maxAge = 600

const preflightUntrusted = HttpServerResponse.empty({ status: 204 })

/** The CORS middleware for the trusted origins in context. */
export const make = Effect.map(TrustedOrigins, (trusted) => {
  // Trust is decided before `cors` runs, so it echoes every origin it is given.
  const cors = HttpMiddleware.cors({ allowedOrigins: () => true, allowedMethods, allowedHeaders, exposedHeaders, maxAge })
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> => {
    const withCors = cors(app)
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      // Read from workerd's request: the platform's `headers` copies every header.
      const origin = request.source instanceof Request ? request.source.headers.get("origin") ?? undefined : request.headers["origin"]
      if (origin !== undefined && trusted.isTrusted(origin, request.originalUrl)) return withCors
      return request.method === "OPTIONS" ? Effect.succeed(preflightUntrusted) : app
    })
  }
})
