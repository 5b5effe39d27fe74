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
import { Clock, Effect, FiberRef, FiberRefs, HashMap, Logger, LogLevel, Metric } from "effect"

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
    // The access log costs nothing unless Debug is enabled.
    const accessLog = LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
    const started = accessLog ? yield* Clock.currentTimeMillis : 0
    yield* HttpApp.appendPreResponseHandler((_request, response) => {
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
    })
    return yield* Effect.locally(app, currentRequestId, requestId)
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
