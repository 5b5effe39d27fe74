/**
 * Every request has an id (`CF-Ray` when Cloudflare gave one, a UUID otherwise), returned as
 * `X-Request-Id` and attached to every log line written while answering it. An access-log line
 * closes each request at Debug level (enable it with `Logger.minimumLogLevel`); it is off by
 * default because a log line per request costs more than the request itself.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Clock, Effect, FiberRef, FiberRefs, HashMap, Logger, LogLevel, Metric } from "effect"
import type { Runtime } from "effect"

/** The id of the request the current fiber is answering, if any. */
export const currentRequestId = FiberRef.unsafeMake<string | undefined>(undefined)

/**
 * JSON logs, one object per line, annotated with the id of the request being answered. The id is
 * read when a line is written, so a request that logs nothing pays nothing for it.
 */
export const logger = Logger.withConsoleLog(
  Logger.mapInputOptions(Logger.jsonLogger, (options) => {
    const requestId = FiberRefs.getOrDefault(options.context, currentRequestId)
    return requestId === undefined ? options : { ...options, annotations: HashMap.set(options.annotations, "requestId", requestId) }
  })
)

/** Replaces Effect's default logger with `logger`. */
export const loggerLayer = Logger.replace(Logger.defaultLogger, logger)

const requestIdPattern = /^[A-Za-z0-9-]{1,64}$/

/** The request's id: Cloudflare's ray id if it is well formed, else a fresh UUID. */
export const requestIdOf = (headers: Readonly<Record<string, string | undefined>>): string => {
  const ray = headers["cf-ray"]
  return ray !== undefined && requestIdPattern.test(ray) ? ray : crypto.randomUUID()
}

/** Whether the access log is on: it is written at Debug, and costs nothing when Debug is off. */
const accessLogEnabled = Effect.map(FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.lessThanEqual(LogLevel.Debug))

/**
 * Whether requests run on `runtime` write the access log. Answers computed outside the platform's
 * app (`Direct`, Better Auth's routes) leave those requests to the path that writes it.
 */
export const accessLogOn = <R>(runtime: Runtime.Runtime<R>): boolean =>
  LogLevel.lessThanEqual(FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentMinimumLogLevel), LogLevel.Debug)

/**
 * What every answer goes through on its way out: `finish` (e.g. `JsonErrors.toJsonError`), the
 * `X-Request-Id` stamp and, when enabled, the access-log line.
 */
const finishing = (
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  finish: (response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse,
  accessLog: boolean,
  started: number
) =>
(response: HttpServerResponse.HttpServerResponse): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const answer = HttpServerResponse.setHeader(finish(response), "x-request-id", requestId)
  if (!accessLog) return Effect.succeed(answer)
  return Effect.map(Clock.currentTimeMillis, (finished) => finished - started).pipe(
    Effect.flatMap((ms) =>
      Effect.logDebug("request").pipe(
        Effect.annotateLogs({
          requestId,
          method: request.method,
          path: request.url.split("?", 1)[0]!.slice(0, 256),
          status: response.status,
          ms
        })
      )
    ),
    Effect.as(answer)
  )
}

/**
 * Gives the request its id and, on the way out, passes every response through `finish` (e.g.
 * `JsonErrors.toJsonError`) before stamping it with `X-Request-Id`. One pre-response handler does
 * both, as each one installed costs a copy of the fiber's state.
 */
export const middleware = (finish: (response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = requestIdOf(request.headers)
    const accessLog = yield* accessLogEnabled
    const started = accessLog ? yield* Clock.currentTimeMillis : 0
    const done = finishing(request, requestId, finish, accessLog, started)
    yield* HttpApp.appendPreResponseHandler((_request, response) => done(response))
    return yield* Effect.locally(app, currentRequestId, requestId)
  })

/**
 * The same for an answer computed outside an `HttpApp` (see `Routes.BetterAuthRoutes`): `respond`
 * runs with the request's id in its logs, and anything it fails or dies with is logged and
 * answered 500, so every answer is finished and stamped alike.
 */
export const answer = (
  request: HttpServerRequest.HttpServerRequest,
  finish: (response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse,
  respond: Effect.Effect<HttpServerResponse.HttpServerResponse>
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.suspend(() => {
    const requestId = requestIdOf(request.headers)
    return Effect.flatMap(accessLogEnabled, (accessLog) =>
      Effect.flatMap(accessLog ? Clock.currentTimeMillis : Effect.succeed(0), (started) =>
        respond.pipe(
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logError("request failed", Cause.pretty(cause)), HttpServerResponse.empty({ status: 500 }))
          ),
          Effect.flatMap(finishing(request, requestId, finish, accessLog, started)),
          Effect.locally(currentRequestId, requestId)
        )))
  })

/** Counters as plain JSON: `[{ name, tags, count }]`. */
export const countersSnapshot = Effect.map(Metric.snapshot, (pairs) =>
  pairs.flatMap((pair) => {
    const state = pair.metricState as { count?: unknown }
    return typeof state.count === "number"
      ? [{
        name: pair.metricKey.name,
        tags: Object.fromEntries(pair.metricKey.tags.map((tag) => [tag.key, tag.value])),
        count: state.count
      }]
      : []
  }))
