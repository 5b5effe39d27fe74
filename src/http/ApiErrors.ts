/**
 * The error answers of the HTTP API, each with its status. Their JSON bodies carry `error`.
 *
 * @module
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
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
