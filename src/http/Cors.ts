/**
 * CORS for browser apps on trusted origins (`TrustedOrigins`), written by the platform's own
 * `HttpMiddleware.cors`, on every route: the HttpApi app's and Better Auth's (`around`).
 *
 * Which origin is trusted is decided here, per request (the request's own origin counts), and only
 * a trusted origin's requests go through `HttpMiddleware.cors`; every other request passes without
 * a CORS header, so an untrusted page learns nothing and its browser refuses the answer.
 *
 * Every `OPTIONS` request is answered here, before rate limiting, so a preflight never counts
 * against a bucket: 204, with the CORS headers when the origin is trusted.
 *
 * Credentials (cookies) are not allowed across origins: a browser app authenticates with the Bearer
 * token (`set-auth-token`), so a page elsewhere can never ride on a cookie session.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, FiberRef, Option } from "effect"
import { TrustedOrigins } from "../services/TrustedOrigins.js"
import { requestIdOf } from "./Observability.js"

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

/**
 * The headers of an answer written without the platform (`Direct`, Better Auth's plain path) to a
 * request that is not a preflight, and its id: `X-Request-Id` (`Observability.requestIdOf`), and the
 * CORS headers as `HttpMiddleware.cors` writes them: for a trusted origin its own
 * `Access-Control-Allow-Origin`, `Vary: Origin` and the exposed headers; none for any other.
 * `test/http/Direct.workerd.test.ts` compares them with the platform's.
 */
export const answerHeaders = (trusted: TrustedOrigins["Type"]) => {
  const expose = exposedHeaders.join(",")
  return (headers: Headers, url: string): { readonly requestId: string; readonly headers: Record<string, string> } => {
    const requestId = requestIdOf({ "cf-ray": headers.get("cf-ray") ?? undefined })
    const origin = headers.get("origin")
    return {
      requestId,
      headers: origin !== null && trusted.isTrusted(origin, url)
        ? { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": expose, "x-request-id": requestId }
        : { "x-request-id": requestId }
    }
  }
}

/** The CORS middleware for the trusted origins, and the same for answers computed outside an HttpApp. */
export const make = Effect.map(TrustedOrigins, (trusted) => {
  // Trust is decided before `cors` runs, so it echoes every origin it is given.
  const cors = HttpMiddleware.cors({ allowedOrigins: () => true, allowedMethods, allowedHeaders, exposedHeaders, maxAge })

  const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
    const withCors = cors(app)
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const origin = request.headers["origin"]
      if (origin !== undefined && trusted.isTrusted(origin, request.originalUrl)) return withCors
      return request.method === "OPTIONS" ? Effect.succeed(preflightUntrusted) : app
    })
  }

  /**
   * `middleware` around `respond`, for routes answered beside the HttpApp (Better Auth's): the
   * response-time headers `cors` registers are applied here, as an HttpApp's handler would.
   */
  const around = (
    request: HttpServerRequest.HttpServerRequest,
    respond: Effect.Effect<HttpServerResponse.HttpServerResponse>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
    middleware(respond).pipe(
      Effect.flatMap((response) =>
        Effect.flatMap(FiberRef.get(HttpApp.currentPreResponseHandlers), (handlers) =>
          Option.isNone(handlers) ? Effect.succeed(response) : Effect.orDie(handlers.value(request, response)))
      ),
      Effect.locally(HttpApp.currentPreResponseHandlers, Option.none()),
      Effect.provideService(HttpServerRequest.HttpServerRequest, request)
    )

  return { middleware, around }
})
