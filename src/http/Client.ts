/**
 * A typed client for the worker's API, derived from the same `Api` definition the worker serves:
 * `client.actions.analyticsSummary({ urlParams: { days: 7 } })` returns the decoded `Output`, or
 * fails with the endpoint's typed errors (`Unauthorized`, `ServiceUnavailable`,
 * `HttpApiDecodeError`). Tests use it with `SELF.fetch` (workerd) or a web handler's `fetch`;
 * other workers and scripts with the global `fetch`.
 *
 * @module
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect } from "effect"
import type * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"

export interface ClientOptions {
  /** The worker's origin, e.g. `https://auth.example.com`. */
  readonly baseUrl: string
  /** Sends `Authorization: Bearer <token>` with every request (the sign-in `token`). */
  readonly token?: string | undefined
  /** More headers for every request. */
  readonly headers?: Record<string, string> | undefined
  /** How requests are sent. Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** The typed client of `api` (`Api.make(actions)`, the same value the worker serves). */
export const make = <Id extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<Id, Groups, E, R>,
  options: ClientOptions
) => {
  const { baseUrl, fetch, headers, token } = options
  const client = HttpApiClient.make(api, {
    baseUrl,
    transformClient: HttpClient.mapRequest((request) => {
      const withHeaders = headers ? HttpClientRequest.setHeaders(request, headers) : request
      return token === undefined ? withHeaders : HttpClientRequest.bearerToken(withHeaders, token)
    })
  }).pipe(Effect.provide(FetchHttpClient.layer))
  return fetch === undefined ? client : Effect.provideService(client, FetchHttpClient.Fetch, fetch)
}
