/**
 * The handlers of the API, and Better Auth's routes mounted beside it.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"
import { Auth } from "../services/Auth.js"
import { CurrentSession, CurrentUser } from "../services/CurrentUser.js"
import * as AnalyticsSummary from "./actions/AnalyticsSummary.js"
import { Api } from "./Api.js"
import { authenticated } from "./Authentication.js"
import { jsonError } from "./JsonErrors.js"
import { countersSnapshot } from "./Observability.js"

export const SystemLive = HttpApiBuilder.group(Api, "system", (handlers) =>
  handlers.handle("health", () => Effect.succeed({ status: "ok" as const })))

export const AccountLive = HttpApiBuilder.group(Api, "account", (handlers) =>
  handlers.handle("me", () =>
    authenticated(Effect.gen(function*() {
      const user = yield* CurrentUser
      const session = yield* CurrentSession
      return {
        user: { ...user, image: user.image ?? null },
        session: { id: session.id, expiresAt: session.expiresAt, createdAt: session.createdAt }
      }
    }))))

/**
 * Better Auth's response, handed to workerd as it is (no re-streaming of its body). Its headers are
 * mirrored, except `Set-Cookie`, which stays on the original, so middleware can read and add to them.
 */
const passThrough = (response: Response) => {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") headers[key] = value
  })
  return HttpServerResponse.raw(response, { status: response.status, headers })
}

/** Better Auth answers everything under `/api/auth/`; when it cannot, the client gets a 503. */
const authRoute = (auth: Auth["Type"]) =>
  Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  return yield* auth.handle(request.source as Request).pipe(
    Effect.map(passThrough),
    Effect.catchTag("AuthUnavailable", (error) =>
      Effect.zipRight(
        Effect.logError("auth provider unavailable", error.message),
        Effect.succeed(jsonError(503, "Service unavailable"))
      ))
  )
})

export const ActionsLive = HttpApiBuilder.group(Api, "actions", (handlers) =>
  handlers.handle("analyticsSummary", ({ urlParams }) => authenticated(AnalyticsSummary.handler(urlParams))))

export const AuthRoutesLive = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(Auth, (auth) => router.all("/api/auth/*", authRoute(auth))))

/** `GET /metrics`: the counters as JSON. Mounted only when METRICS_ENABLED is "true". */
export const MetricsRouteLive = HttpApiBuilder.Router.use((router) =>
  router.get("/metrics", Effect.map(countersSnapshot, (counters) => HttpServerResponse.unsafeJson({ counters }))))

export const RoutesLive = Layer.mergeAll(SystemLive, AccountLive, ActionsLive, AuthRoutesLive)
