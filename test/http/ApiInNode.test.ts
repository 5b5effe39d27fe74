// The whole app in Node over the test kit's services (`TestApp`), called through the typed client:
// route behaviour (authentication before input, readable 400s, typed answers) without workerd.
import * as OpenApi from "@effect/platform/OpenApi"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { actions } from "../../src/http/actions/index.js"
import * as Api from "../../src/http/Api.js"
import * as TestApp from "../../src/http/TestApp.js"
import * as TestKit from "../../src/layers/TestKit.js"

const database = TestKit.fakeDatabase((sql) => (sql.includes(`from "account"`) ? [{ providerId: "credential" }] : []))
const app = TestApp.make({ actions, database })
afterAll(() => app.dispose())

const origin = TestApp.origin
const client = (token?: string) => app.client(token, { "cf-connecting-ip": "198.51.100.20" })
const web = { handler: (request: Request) => app.fetch(request) }

describe("the API in Node, through the typed client", () => {
  it.live("an action: a typed 401 without a token, its Output with the kit's token", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip((yield* client()).actions.signInMethods())
      expect(refused).toMatchObject({ _tag: "Unauthorized", error: "Missing bearer token" })
      const forged = yield* Effect.flip((yield* client("NotASessionTokenOfAnybody0000000")).actions.signInMethods())
      expect(forged).toMatchObject({ _tag: "Unauthorized", error: "Invalid or expired session" })
      expect(yield* (yield* client(TestKit.testToken)).actions.signInMethods()).toEqual({ methods: ["credential"] })
    }))

  it.live("analytics-summary without `days`: the client may leave it out, and the handler applies 7", () =>
    Effect.gen(function*() {
      const summary = yield* (yield* client(TestKit.testToken)).actions.analyticsSummary({ urlParams: {} })
      expect(summary).toMatchObject({ days: 7, totalViews: 0, topPaths: [] })
      expect(summary.from < summary.to).toBe(true)
      // Still a typed parameter: a wrong type does not compile.
      // @ts-expect-error `days` is a number
      void (yield* client(TestKit.testToken)).actions.analyticsSummary({ urlParams: { days: "7" } })
    }))

  it.live("/api/capabilities, public: the outbox sends mail; the test provider offers no passkeys", () =>
    Effect.gen(function*() {
      expect(yield* (yield* client()).system.capabilities()).toEqual({ mail: true, passkeys: false })
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

  it("the document lists `days` as optional, with its default", () => {
    const parameters = OpenApi.fromApi(Api.make(actions)).paths["/api/actions/analytics-summary"]?.get?.parameters
    expect(parameters).toEqual([expect.objectContaining({
      name: "days",
      in: "query",
      required: false,
      schema: expect.objectContaining({ type: "string", default: "7", description: expect.stringContaining("Default 7.") })
    })])
  })

  it.live("/openapi.json is the platform's document of the API (the test provider describes no routes of its own), the same on every request", () =>
    Effect.gen(function*() {
      const expected = JSON.parse(JSON.stringify(OpenApi.fromApi(Api.make(actions))))
      for (let i = 0; i < 2; i++) {
        const response = yield* Effect.promise(() => web.handler(new Request(`${origin}/openapi.json`)))
        expect(response.status).toBe(200)
        expect(response.headers.get("content-type")).toMatch(/^application\/json/)
        expect(yield* Effect.promise(() => response.json())).toEqual(expected)
      }
    }))
})
