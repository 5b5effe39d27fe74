/**
 * Every request has an id (`CF-Ray` when Cloudflare gave one, a UUID otherwise), returned as
 * `X-Request-Id` and attached to every log line written while answering it. An access-log line
 * closes each request at Debug level (enable it with `Logger.minimumLogLevel`); it is off by
 * default because a log line per request costs more than the request itself. Logging it changes
 * nothing else: every request takes the same path whether it is on or not.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Clock, Effect, FiberRef, FiberRefs, HashMap, Logger, LogLevel } from "effect"

/** The id of the request the current fiber is answering, if any: its one home. */
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
export const requestIdOf = (ray: string | undefined): string =>
  ray !== undefined && requestIdPattern.test(ray) ? ray : crypto.randomUUID()

/** Whether the access log is on: it is written at Debug, and costs nothing when Debug is off. */
const accessLogEnabled = Effect.map(FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.lessThanEqual(LogLevel.Debug))

/** The access-log line of one request. */
const accessLog = (request: HttpServerRequest.HttpServerRequest, requestId: string, status: number, started: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (finished) =>
    Effect.logDebug("request").pipe(
      Effect.annotateLogs({ requestId, method: request.method, path: request.url.split("?", 1)[0]!.slice(0, 256), status, ms: finished - started })
    ))

/** The id of a request from workerd, read from its own headers (not the platform's copy of all). */
const rayOf = (request: HttpServerRequest.HttpServerRequest) =>
  request.source instanceof Request ? request.source.headers.get("cf-ray") ?? undefined : request.headers["cf-ray"]

/**
 * A failure the app did not answer itself, as the platform answers it (a route not found is a 404,
 * anything unexpected a 500); a 5xx is logged with its cause.
 */
const failed = (cause: Cause.Cause<unknown>) =>
  Effect.flatMap(HttpServerError.causeResponse(cause), ([response, rest]) =>
    response.status >= 500 && !Cause.isInterruptedOnly(rest)
      ? Effect.as(Effect.logError("request failed", Cause.pretty(rest)), response)
      : Effect.succeed(response))

/**
 * Gives the request its id, runs the app with it (every line logged meanwhile carries it, and a
 * failure is answered and logged here), and on the way out passes every response through `finish`
 * (e.g. `ErrorResponses.toJson`) before stamping it with `X-Request-Id` and, when enabled, logging
 * the request. One pre-response handler does it all, as each one installed costs a copy of the
 * fiber's state.
 */
export const middleware = (finish: (response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const requestId = requestIdOf(rayOf(request))
    return Effect.flatMap(accessLogEnabled, (logged) =>
      Effect.flatMap(logged ? Clock.currentTimeMillis : Effect.succeed(0), (started) =>
        Effect.zipRight(
          HttpApp.appendPreResponseHandler((_request, response) => {
            const finished = HttpServerResponse.setHeader(finish(response), "x-request-id", requestId)
            return logged ? Effect.as(accessLog(request, requestId, finished.status, started), finished) : Effect.succeed(finished)
          }),
          Effect.locally(Effect.catchAllCause(app, failed), currentRequestId, requestId)
        )))
  })
