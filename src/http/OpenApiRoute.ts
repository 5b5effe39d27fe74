/**
 * The API's OpenAPI document at `GET /openapi.json`: the typed API's (the worker's endpoints and
 * actions) with the auth provider's routes (`/api/auth/*`, `OpenApiDocument`), generated on the
 * first request for it and kept for the isolate's life. The platform's
 * `HttpApiBuilder.middlewareOpenApi` generates it when the router is built, that is in every
 * isolate's first request, whatever that request is: walking every endpoint's schemas was a tenth
 * of a cold start's CPU, for a document few isolates are ever asked for. The provider's part may
 * load Better Auth (which most requests never do); that is paid once too.
 *
 * @module
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect } from "effect"
import { AuthProvider } from "../services/AuthProvider.js"
import { jsonError } from "./ErrorResponses.js"
import { bearerSchemeOf, withAuthRoutes } from "./OpenApiDocument.js"

/** Serves the document of the API being built at `path` (default `/openapi.json`). */
export const layer = (options: { readonly path?: HttpRouter.PathInput } = {}) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function*() {
      const { api } = yield* HttpApi.Api
      const auth = yield* AuthProvider
      const generate = Effect.suspend(() => {
        const own = OpenApi.fromApi(api)
        return auth.openApi === undefined ? Effect.succeed(own) : Effect.map(auth.openApi(bearerSchemeOf(own)), (routes) => withAuthRoutes(own, routes))
      })
      // A response is immutable: one answers every request once it is made. Requests that come
      // while it is being made each make their own (none awaits another's work); the first kept wins.
      let response: HttpServerResponse.HttpServerResponse | undefined
      const document = Effect.suspend(() =>
        response !== undefined
          ? Effect.succeed(response)
          : generate.pipe(
            Effect.flatMap((spec) => Effect.orDie(HttpServerResponse.json(spec))),
            Effect.tap((generated) => Effect.sync(() => (response ??= generated))),
            // Without the provider's routes the document would say the API has none: not kept, 503.
            Effect.catchTag("AuthUnavailable", (error) =>
              Effect.as(Effect.logError("OpenAPI document: auth provider unavailable", error.message), jsonError(503, "Service unavailable")))
          )
      )
      yield* router.get(options.path ?? "/openapi.json", document)
    })
  )
