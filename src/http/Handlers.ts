/**
 * The handlers of the API's groups, and the routes beside it that are not part of the typed API
 * (`/metrics`).
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer, Metric } from "effect"
import { AuthProvider } from "../services/AuthProvider.js"
import { Authenticated } from "../services/CurrentUser.js"
import { Mailer } from "../services/Mailer.js"
import * as Action from "./Action.js"
import type { Api } from "./Api.js"
import { Authentication } from "./Authentication.js"

const healthy = Effect.succeed({ status: "ok" as const })

/** `GET /health`: one constant answer. */
export const health = () => healthy

/** `GET /api/capabilities`: from the configuration (the mailer, the auth provider), the same for every request. */
export const capabilities = Effect.map(Effect.all([Mailer, AuthProvider]), ([mailer, auth]) => ({
  mail: mailer.disabled !== true,
  passkeys: auth.passkeys === true
}))

/** `GET /api/me`: the signed-in user and the session the request carries. */
export const me = () =>
  Effect.map(Authenticated, ({ session, user }) => ({
    user: { ...user, image: user.image ?? null },
    session: { id: session.id, expiresAt: session.expiresAt, createdAt: session.createdAt }
  }))

/** Every group's handlers for `api` (built from `actions`), with the authentication middleware. */
export const layer = <const Actions extends ReadonlyArray<Action.Any>>(api: Api<Actions>, actions: Actions) =>
  Layer.mergeAll(
    HttpApiBuilder.group(api, "system", (handlers) =>
      Effect.map(capabilities, (offered) => {
        const answer = Effect.succeed(offered)
        return handlers.handle("health", health).handle("capabilities", () => answer)
      })),
    HttpApiBuilder.group(api, "account", (handlers) => handlers.handle("me", me)),
    HttpApiBuilder.group(api, "actions", (handlers) => Action.handleAll(handlers, actions))
  ).pipe(Layer.provide(Authentication.layer))

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

/** `GET /metrics`: the counters as JSON. Mounted only when METRICS_ENABLED is "true". */
export const metricsRoute = HttpApiBuilder.Router.use((router) =>
  router.get("/metrics", Effect.map(countersSnapshot, (counters) => HttpServerResponse.unsafeJson({ counters }))))
