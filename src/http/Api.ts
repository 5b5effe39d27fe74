/**
 * The worker's HTTP API, as a typed definition: endpoints, their success and error schemas. The
 * OpenAPI document (`GET /openapi.json`) is derived from it. Better Auth's routes under
 * `/api/auth/*` are mounted beside it (see `Routes.ts`).
 *
 * @module
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import * as AnalyticsSummary from "./actions/AnalyticsSummary.js"
import { ServiceUnavailable, Unauthorized } from "./Errors.js"

export { ServiceUnavailable, Unauthorized } from "./Errors.js"

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

const bearer = "Requires `Authorization: Bearer <token>` (the token from sign-in, or the `set-auth-token` header)."

export const SystemGroup = HttpApiGroup.make("system").add(
  HttpApiEndpoint.get("health", "/health").addSuccess(Schema.Struct({ status: Schema.Literal("ok") }))
)

export const AccountGroup = HttpApiGroup.make("account").add(
  HttpApiEndpoint.get("me", "/api/me")
    .addSuccess(Me)
    .addError(Unauthorized)
    .addError(ServiceUnavailable)
    .annotate(OpenApi.Description, `The signed-in user. ${bearer}`)
)

/**
 * Custom actions. To add one: write `src/http/actions/<Name>.ts` exporting an `endpoint` and a
 * `handler` (see AnalyticsSummary), add the endpoint here and the handler in `Routes.ts`.
 */
export const ActionsGroup = HttpApiGroup.make("actions")
  .add(AnalyticsSummary.endpoint)
  .annotate(OpenApi.Description, `Custom actions. ${bearer}`)

export class Api extends HttpApi.make("edge-auth-state")
  .add(SystemGroup)
  .add(AccountGroup)
  .add(ActionsGroup)
  .annotate(OpenApi.Title, "edge-auth-state")
  .annotate(OpenApi.Description, "Sign-in with Better Auth (under /api/auth), sessions in Workers KV, and custom actions.")
{}
