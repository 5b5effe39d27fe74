/**
 * The API's OpenAPI document at `GET /openapi.json`, generated on the first request for it and
 * kept. The platform's `HttpApiBuilder.middlewareOpenApi` generates it when the router is built,
 * that is in every isolate's first request, whatever that request is: walking every endpoint's
 * schemas was a tenth of a cold start's CPU, for a document few isolates are ever asked for.
 *
 * @module
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect } from "effect"

/** Serves the document of the API being built at `path` (default `/openapi.json`). */
export const layer = (options: { readonly path?: HttpRouter.PathInput } = {}) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function*() {
      const { api } = yield* HttpApi.Api
      // A response is immutable: one answers every request. Generating it is synchronous, so a
      // request never waits on another's work.
      let response: HttpServerResponse.HttpServerResponse | undefined
      const document = Effect.suspend(() =>
        response !== undefined
          ? Effect.succeed(response)
          : HttpServerResponse.json(OpenApi.fromApi(api)).pipe(
            Effect.orDie,
            Effect.tap((generated) => Effect.sync(() => (response = generated)))
          )
      )
      yield* router.get(options.path ?? "/openapi.json", document)
    })
  )
