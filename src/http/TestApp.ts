/**
 * The whole app in a test, in one line: the worker's routes and middleware (`App.handlerOver`, as
 * the worker builds them) over the test kit's services (in-memory KV, a fake database, the signed-in
 * test user), the outbox for mail, and an auth provider that takes a Bearer credential as the raw
 * session token it names. Call it through its typed client, or its `fetch`.
 *
 * ```ts
 * const app = TestApp.make({ actions: [MyAction.action], database: TestKit.fakeDatabase(() => rows) })
 * const client = yield* app.client(TestKit.testToken)
 * expect(yield* client.actions.myAction()).toEqual(...)
 * ```
 *
 * @module
 */
import { Effect, Layer, Option } from "effect"
import * as TestKit from "../layers/TestKit.js"
import { AuthProvider } from "../services/AuthProvider.js"
import type { Database } from "../services/Database.js"
import type { SessionRevocations } from "../services/SessionRevocations.js"
import type * as Action from "./Action.js"
import * as Api from "./Api.js"
import * as App from "./App.js"
import * as Client from "./Client.js"
import type { RateLimitSettings } from "./ratelimit/Rules.js"

/** The app's origin in tests. */
export const origin = "http://localhost:8787"

/** An auth provider that stands aside: Bearer credentials are raw session tokens; its routes are 404s. */
export const rawTokens = Layer.succeed(AuthProvider, AuthProvider.of({
  handle: () => Effect.succeed(Response.json({ error: "Not found" }, { status: 404 })),
  sessionToken: (credential) => Effect.succeed(Option.some(credential))
}))

export interface TestAppOptions<Actions extends ReadonlyArray<Action.Any>> {
  readonly actions?: Actions
  /** The database the actions query. Default: one that fails every query (`TestKit`). */
  readonly database?: Layer.Layer<Database>
  /** The auth provider. Default `rawTokens`. */
  readonly auth?: Layer.Layer<AuthProvider>
  /** Default: the worker's rules. */
  readonly rateLimits?: RateLimitSettings
  readonly trustedOrigins?: ReadonlyArray<string>
  /** A record of revocations every session read asks, as in `SESSION_REVOCATION=immediate`. Default none. */
  readonly revocations?: Layer.Layer<SessionRevocations>
}

export const make = <const Actions extends ReadonlyArray<Action.Any> = readonly []>(options: TestAppOptions<Actions> = {}) => {
  const actions = options.actions ?? ([] as unknown as Actions)
  const settings = {
    baseURL: origin,
    trustedOrigins: options.trustedOrigins ?? [],
    mailer: { _tag: "Outbox" } as const,
    ...(options.rateLimits === undefined ? {} : { rateLimits: options.rateLimits })
  }
  const services = Layer.mergeAll(
    TestKit.layer({
      ...(options.database === undefined ? {} : { database: options.database }),
      ...(options.revocations === undefined ? {} : { revocations: options.revocations })
    }),
    App.settingsLayer(settings),
    options.auth ?? rawTokens
  )
  const app = App.handlerOver({ actions, exposeMetrics: false, mailer: settings.mailer }, services)
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => app.handler(new Request(input, init))) as typeof globalThis.fetch
  const api = Api.make(actions)
  return {
    /** The app's `fetch`. */
    fetch,
    /** The typed client of the app's API, signed in with `token` (`TestKit.testToken` is the test user's). */
    client: (token?: string, headers?: Record<string, string>) => Client.make(api, { baseUrl: origin, token, headers, fetch }),
    dispose: app.dispose
  }
}
