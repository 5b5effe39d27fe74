/**
 * Every request has an id (`CF-Ray` when Cloudflare gave one, a UUID otherwise), returned as
 * `X-Request-Id` and attached to every log line written while answering it: the web handler
 * (`WebHandler`) sets it when the request's fiber starts. An access-log line closes each request at
 * Debug level (enable it with `Logger.minimumLogLevel`); it is off by default because a log line per
 * request costs more than the request itself. Logging it changes nothing else: every request takes
 * the same path whether it is on or not.
 *
 * @module
 */
import type * as HttpApp from "@effect/platform/HttpApp"
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

/** When the request began, for the access log (set only while it is on). */
const requestStartedAt = FiberRef.unsafeMake<number>(0)

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
 * The request log of the runtime it is built on (whether the access log is on is read once, from
 * its minimum log level):
 * - `middleware`, the outermost: the app's failures answered here, while the request's id (set when
 *   its fiber starts, `WebHandler`) is in every line logged; the start noted for the access log.
 * - `finish`, what every answer goes through on its way out, failures' included: `toJson` (every
 *   error answer as JSON, `ErrorResponses.toJsonError`), the `X-Request-Id` stamp and, when
 *   enabled, the access-log line.
 */
export const make = (toJson: (response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse) =>
  Effect.map(accessLogEnabled, (logged) => ({
    middleware: <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R> => {
      const answered = Effect.catchAllCause(app, failed)
      return logged ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.zipRight(FiberRef.set(requestStartedAt, now), answered)) : answered
    },
    finish: (
      response: HttpServerResponse.HttpServerResponse,
      request: HttpServerRequest.HttpServerRequest,
      requestId: string
    ): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
      const finished = HttpServerResponse.setHeader(toJson(response), "x-request-id", requestId)
      if (!logged) return Effect.succeed(finished)
      return Effect.flatMap(Effect.all([Clock.currentTimeMillis, FiberRef.get(requestStartedAt)]), ([now, started]) =>
        Effect.as(
          Effect.logDebug("request").pipe(
            Effect.annotateLogs({ method: request.method, path: request.url.split("?", 1)[0]!.slice(0, 256), status: finished.status, ms: now - started })
          ),
          finished
        ))
    }
  }))
