import { it as effectIt } from "@effect/vitest"
import { env } from "cloudflare:test"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { apiClient, call, signUp } from "./helpers.js"

const today = () => new Date().toISOString().slice(0, 10)
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)

const seed = async () => {
  await env.DB.batch([
    env.DB.prepare(`insert into page_views (day, path, views) values (?1, '/', 100), (?1, '/docs', 40)`).bind(today()),
    env.DB.prepare(`insert into page_views (day, path, views) values (?1, '/', 60), (?1, '/pricing', 25)`).bind(daysAgo(3)),
    env.DB.prepare(`insert into page_views (day, path, views) values (?1, '/old', 999)`).bind(daysAgo(30))
  ])
}

describe("the analytics summary action end to end (workerd, real D1 and KV)", () => {
  effectIt.live("with a token: 200 from D1, then from the KV cache for 5 minutes", () =>
    Effect.gen(function*() {
      yield* Effect.promise(seed)
      const { token } = yield* Effect.promise(() => signUp())
      const client = yield* apiClient(token)
      const first = yield* client.actions.analyticsSummary({ urlParams: { days: 7 } })
      expect(first).toMatchObject({ days: 7, totalViews: 225, uniquePaths: 3, to: today() })
      expect(first.topPaths).toEqual([{ path: "/", views: 160 }, { path: "/docs", views: 40 }, { path: "/pricing", views: 25 }])

      const listed = yield* Effect.promise(() => env.KV.list({ prefix: "cache:analytics-summary:7" }))
      expect(listed.keys).toHaveLength(1)
      const ttl = listed.keys[0]!.expiration! - Math.floor(Date.now() / 1000)
      expect(ttl).toBeGreaterThanOrEqual(295)
      expect(ttl).toBeLessThanOrEqual(301)

      // New data is not seen while the entry is fresh: the second answer comes from KV.
      yield* Effect.promise(() => env.DB.prepare(`insert into page_views (day, path, views) values (?1, '/new', 5)`).bind(today()).run())
      const second = yield* client.actions.analyticsSummary({ urlParams: { days: 7 } })
      expect(second.generatedAt).toEqual(first.generatedAt)

      const wider = yield* client.actions.analyticsSummary({ urlParams: { days: 31 } })
      expect(wider.totalViews).toBe(225 + 5 + 999)
    }))

  effectIt.live("without a token: a typed 401, and D1 is not touched", () =>
    Effect.gen(function*() {
      const client = yield* apiClient()
      const error = yield* Effect.flip(client.actions.analyticsSummary({ urlParams: { days: 7 } }))
      expect(error).toMatchObject({ _tag: "Unauthorized", error: "Missing bearer token" })
      expect((yield* Effect.promise(() => env.KV.list({ prefix: "cache:" }))).keys).toEqual([])
    }))

  it.each(["days=0", "days=91", "days=abc", "days=1.5", "days=", "days=7&days=8"])(
    "invalid input %s with a valid session: 400 naming the field in words",
    async (query) => {
      const { token } = await signUp()
      const response = await call(`/api/actions/analytics-summary?${query}`, { headers: { authorization: `Bearer ${token}` } })
      expect(response.status).toBe(400)
      expect(response.headers.get("content-type")).toMatch(/json/)
      expect(await response.json()).toMatchObject({ message: "days: must be a whole number from 1 to 90" })
    }
  )

  it.each(["days=abc", "days=0", "days=7", ""])("without a valid session, %j is 401 whatever the input", async (query) => {
    for (const authorization of [undefined, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
      const response = await call(`/api/actions/analytics-summary?${query}`, { headers })
      expect(response.status).toBe(401)
      expect(await response.json()).toHaveProperty("error")
    }
  })
})

describe("the OpenAPI document", () => {
  type Operation = { security?: Array<Record<string, Array<string>>>; responses: Record<string, unknown> }
  type Doc = {
    security: Array<unknown>
    components: { securitySchemes: Record<string, unknown> }
    paths: Record<string, Record<string, Operation>>
  }
  const document = async () => {
    const response = await call("/openapi.json")
    expect(response.status).toBe(200)
    return (await response.json()) as Doc
  }

  it("describes the action with its answers", async () => {
    const doc = await document()
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/api/me", "/api/actions/analytics-summary"]))
    expect(Object.keys(doc.paths["/api/actions/analytics-summary"]!.get!.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "503"])
    )
  })

  it("declares the bearer scheme; every protected operation requires it, public ones do not", async () => {
    const doc = await document()
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: "http", scheme: "bearer" }) })
    expect(doc.security).toEqual([])
    expect(doc.paths["/api/me"]!.get!.security).toEqual([{ bearer: [] }])
    expect(doc.paths["/api/actions/analytics-summary"]!.get!.security).toEqual([{ bearer: [] }])
    expect(doc.paths["/health"]!.get!.security).toEqual([])
  })
})
