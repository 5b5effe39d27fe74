// The API served in Node over the test kit's services, called through the typed client: route
// behaviour (authentication before input, plain 400s, typed answers) without workerd.
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServer from "@effect/platform/HttpServer"
import * as OpenApi from "@effect/platform/OpenApi"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Api } from "../../src/http/Api.js"
import { apiLayer } from "../../src/http/App.js"
import * as Client from "../../src/http/Client.js"
import * as RateLimit from "../../src/http/RateLimit.js"
import * as MailerOutbox from "../../src/layers/MailerOutbox.js"
import * as TestKit from "../../src/layers/TestKit.js"
import { Auth } from "../../src/services/Auth.js"
import { TrustedOrigins } from "../../src/services/TrustedOrigins.js"

/** Better Auth stands aside: a Bearer credential is taken as the raw session token it names. */
const rawTokens = Layer.succeed(Auth, Auth.of({
  handle: () => Effect.succeed(Response.json({ error: "Not found" }, { status: 404 })),
  sessionToken: (credential) => Effect.succeed(Option.some(credential))
}))

const database = TestKit.fakeDatabase((sql) => (sql.includes(`from "account"`) ? [{ providerId: "credential" }] : []))

const web = HttpApiBuilder.toWebHandler(
  Layer.mergeAll(apiLayer({ exposeMetrics: false, mailer: { _tag: "Outbox" } }), HttpServer.layerContext).pipe(
    Layer.provide(Layer.mergeAll(TestKit.layer({ database }), rawTokens, RateLimit.RateLimitRules.layer(), MailerOutbox.layer, TrustedOrigins.layer({ baseURL: "http://localhost:8787", origins: [] })))
  )
)
afterAll(() => web.dispose())

const origin = "http://localhost:8787"
const client = (token?: string) =>
  Client.make({
    baseUrl: origin,
    token,
    headers: { "cf-connecting-ip": "198.51.100.20" },
    fetch: ((input, init) => web.handler(new Request(input, init))) as typeof globalThis.fetch
  })

describe("the API in Node, through the typed client", () => {
  it.live("an action: a typed 401 without a token, its Output with the kit's token", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip((yield* client()).actions.signInMethods())
      expect(refused).toMatchObject({ _tag: "Unauthorized", error: "Missing bearer token" })
      const forged = yield* Effect.flip((yield* client("NotASessionTokenOfAnybody0000000")).actions.signInMethods())
      expect(forged).toMatchObject({ _tag: "Unauthorized", error: "Invalid or expired session" })
      expect(yield* (yield* client(TestKit.testToken)).actions.signInMethods()).toEqual({ methods: ["credential"] })
    }))

  it.live("/api/me answers the kit's user and session", () =>
    Effect.gen(function*() {
      const me = yield* (yield* client(TestKit.testToken)).account.me()
      expect(me.user).toMatchObject({ id: "test-user", email: "test@example.com" })
      expect(me.session.id).toBe("test-session")
    }))

  it.live("bad input: 401 without a session, a 400 naming the field with one", () =>
    Effect.gen(function*() {
      const get = (headers: Record<string, string>) =>
        Effect.promise(() => web.handler(new Request(`${origin}/api/actions/analytics-summary?days=abc`, { headers: { "cf-connecting-ip": "198.51.100.21", ...headers } })))
      expect((yield* get({})).status).toBe(401)
      const bad = yield* get({ authorization: `Bearer ${TestKit.testToken}` })
      expect(bad.status).toBe(400)
      expect(yield* Effect.promise(() => bad.json())).toMatchObject({
        _tag: "HttpApiDecodeError",
        message: "days: must be a whole number from 1 to 90"
      })
    }))

  it.live("non-ASCII bytes in Authorization (as a client may send them) are a 401, never a 5xx", () =>
    Effect.gen(function*() {
      for (const authorization of ["Bearer \u00e9\u00e9", "Bearer \u00ff\u00fe", "\u00ff"]) {
        for (const path of ["/api/me", "/api/actions/sign-in-methods", "/api/actions/analytics-summary?days=abc"]) {
          const response = yield* Effect.promise(() =>
            web.handler(new Request(`${origin}${path}`, { headers: { "cf-connecting-ip": "198.51.100.22", authorization } }))
          )
          expect([path, authorization, response.status]).toEqual([path, authorization, 401])
          expect(yield* Effect.promise(() => response.json())).toHaveProperty("error")
        }
      }
    }))

  it.live("/openapi.json is the platform's document of the API, the same on every request", () =>
    Effect.gen(function*() {
      const expected = JSON.parse(JSON.stringify(OpenApi.fromApi(Api)))
      for (let i = 0; i < 2; i++) {
        const response = yield* Effect.promise(() => web.handler(new Request(`${origin}/openapi.json`)))
        expect(response.status).toBe(200)
        expect(response.headers.get("content-type")).toMatch(/^application\/json/)
        expect(yield* Effect.promise(() => response.json())).toEqual(expected)
      }
    }))
})
