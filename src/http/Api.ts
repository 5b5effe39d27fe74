/**
 * The worker's HTTP API, as a typed definition: endpoints, their success and error schemas, built
 * from the custom actions a worker serves. The OpenAPI document (`GET /openapi.json`) and the typed
 * client (`Client`) are derived from it. Better Auth's routes under `/api/auth/*` are mounted beside
 * it (`AuthRoute`).
 *
 * Protection is per group: `account` and `actions` carry the `Authentication` middleware, so each
 * of their endpoints requires a Bearer token (401 without one) and the document says so; `system`
 * is public on purpose.
 *
 * @module
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import * as Action from "./Action.js"
import { Authentication } from "./Authentication.js"

export { ServiceUnavailable, Unauthorized } from "./ApiErrors.js"

export const PublicUser = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  email: Schema.String,
  emailVerified: Schema.Boolean,
  image: Schema.NullOr(Schema.String),
  createdAt: Schema.Date,
  updatedAt: Schema.Date
})

export const Me = Schema.Struct({
  user: PublicUser,
  session: Schema.Struct({ id: Schema.String, expiresAt: Schema.Date, createdAt: Schema.Date })
})

/** What the worker offers, for a page to show only what works (`GET /api/capabilities`). */
export const Capabilities = Schema.Struct({
  mail: Schema.Boolean.annotations({
    description: "Mail is sent: magic links, password resets and address verification work. False under MAILER=none, where their routes answer 503 MAIL_DISABLED."
  }),
  passkeys: Schema.Boolean.annotations({ description: "Passkeys are offered: the routes under /api/auth/passkey exist." })
}).annotations({ identifier: "Capabilities" })

export const SystemGroup = HttpApiGroup.make("system")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Schema.Struct({ status: Schema.Literal("ok") })))
  .add(
    HttpApiEndpoint.get("capabilities", "/api/capabilities")
      .addSuccess(Capabilities)
      .annotate(OpenApi.Description, "What this server offers, from its configuration. Public; reads no storage.")
  )

export const AccountGroup = HttpApiGroup.make("account")
  .add(HttpApiEndpoint.get("me", "/api/me").addSuccess(Me).annotate(OpenApi.Description, "The signed-in user."))
  .middleware(Authentication)

/** The API of a worker serving `actions`, every one behind `Authentication` in the `actions` group. */
export const make = <const Actions extends ReadonlyArray<Action.Any>>(actions: Actions) =>
  HttpApi.make("edge-auth-state")
    .add(SystemGroup)
    .add(AccountGroup)
    .add(Action.group("actions", actions).middleware(Authentication).annotate(OpenApi.Description, "Custom actions."))
    .annotate(OpenApi.Title, "edge-auth-state")
    .annotate(OpenApi.Description, "Sign-in with Better Auth (under /api/auth), sessions in Workers KV, and custom actions.")

/** The API of a worker serving `Actions`. */
export type Api<Actions extends ReadonlyArray<Action.Any>> = ReturnType<typeof make<Actions>>
