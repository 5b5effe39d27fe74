/**
 * The platform's app as a workerd `fetch` handler: one fiber per request, started on a scheduler
 * of its own (`RequestScheduler`: workerd refuses I/O on behalf of another request) with the
 * request's services and its id already in its state, so no middleware pays to set them.
 *
 * It does what the platform's `HttpApp.toWebHandlerRuntime` does for an app that answers every
 * failure itself: a scope for the request (the router promises its handlers one,
 * `HttpRouter.Provided`), the pre-response handlers, the answer written with
 * `HttpServerResponse.toWeb`; with the request's services, id and scheduler given when its fiber
 * starts. A client that goes away does not interrupt the request: workerd ends what it no longer
 * needs, and Better Auth's writes are not cut off halfway. A defect that escapes even the app's own
 * handling is logged and answered as a JSON 500 with the request's id.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Context, Effect, Exit, FiberRef, FiberRefs, Option, Runtime } from "effect"
import type { Scope } from "effect"
import { BackgroundTasks } from "../services/BackgroundTasks.js"
import { freshScheduler } from "../services/RequestScheduler.js"
import { currentRequestId, requestIdOf } from "./middleware/RequestLog.js"

/**
 * The handler of `app` on `runtime`. `app` must answer every request itself, failures included
 * (`RequestLog.middleware` does); its answer passes through the pre-response handlers middleware
 * registered (`HttpApp.appendPreResponseHandler`, the platform's CORS among them), then `finish`
 * with the request's id, and is written with `HttpServerResponse.toWeb`.
 */
export const make = <R>(
  runtime: Runtime.Runtime<R>,
  app: HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest | Scope.Scope>,
  finish: (
    response: HttpServerResponse.HttpServerResponse,
    request: HttpServerRequest.HttpServerRequest,
    requestId: string
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse>
) =>
(request: Request, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> =>
  new Promise((resolve) => {
    const serverRequest = HttpServerRequest.fromWeb(request)
    const services = new Map(runtime.context.unsafeMap)
    services.set(HttpServerRequest.HttpServerRequest.key, serverRequest)
    if (ctx !== undefined) services.set(BackgroundTasks.key, BackgroundTasks.fromExecutionContext(ctx))
    const context = Context.unsafeMake(services)
    const requestId = requestIdOf(request.headers.get("cf-ray") ?? undefined)
    const answered = Effect.scoped(Effect.flatMap(app, (response) =>
      Effect.flatMap(FiberRef.get(HttpApp.currentPreResponseHandlers), (handlers) =>
        Effect.flatMap(Option.isNone(handlers) ? Effect.succeed(response) : handlers.value(serverRequest, response), (handled) =>
          finish(handled, serverRequest, requestId))))).pipe(
        Effect.catchAllCause((cause) =>
          Effect.as(
            Effect.logError("request failed", Cause.pretty(cause)),
            HttpServerResponse.unsafeJson({ error: "Internal server error" }, { status: 500, headers: { "x-request-id": requestId } })
          ))
      )
    const fiber = Runtime.runFork(runtime as Runtime.Runtime<unknown>, answered, {
      scheduler: freshScheduler(),
      updateRefs: (refs, fiberId) =>
        FiberRefs.updateManyAs(refs, {
          forkAs: fiberId,
          entries: [
            [FiberRef.currentContext, [[fiberId, context]]],
            [currentRequestId, [[fiberId, requestId]]]
          ]
        })
    })
    fiber.addObserver((exit) =>
      resolve(
        Exit.isSuccess(exit)
          ? HttpServerResponse.toWeb(exit.value, { withoutBody: request.method === "HEAD", runtime })
          // Interrupted: workerd is shutting the isolate down.
          : Response.json({ error: "Service unavailable" }, { status: 503, headers: { "x-request-id": requestId } })
      ))
  })
