/**
 * The worker's HTTP API, as a typed definition: endpoints, their success and error schemas. The
 * OpenAPI document is derived from it. Better Auth's routes under `/api/auth/*` are mounted beside
 * it (see `Routes.ts`).
 *
 * @module
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"

/** 401: no credential, or one that names no live session. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** 503: a dependency (KV, D1) is unavailable; retrying later may succeed. */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

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

export const SystemGroup = HttpApiGroup.make("system").add(
  HttpApiEndpoint.get("health", "/health").addSuccess(Schema.Struct({ status: Schema.Literal("ok") }))
)

export const AccountGroup = HttpApiGroup.make("account").add(
  HttpApiEndpoint.get("me", "/api/me")
    .addSuccess(Me)
    .addError(Unauthorized)
    .addError(ServiceUnavailable)
    .annotate(OpenApi.Description, "The signed-in user, from the session named by `Authorization: Bearer <token>`.")
)

export class Api extends HttpApi.make("edge-auth-state").add(SystemGroup).add(AccountGroup) {}
