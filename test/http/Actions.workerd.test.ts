import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { call, signUp } from "./helpers.js"

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
  it("with a token: 200 from D1, then from the KV cache for 5 minutes", async () => {
    await seed()
    const { token } = await signUp()
    const first = await call("/api/actions/analytics-summary", { headers: { authorization: `Bearer ${token}` } })
    expect(first.status).toBe(200)
    const body = (await first.json()) as { totalViews: number; uniquePaths: number; topPaths: Array<{ path: string; views: number }>; generatedAt: string }
    expect(body).toMatchObject({ days: 7, totalViews: 225, uniquePaths: 3, to: today() })
    expect(body.topPaths).toEqual([{ path: "/", views: 160 }, { path: "/docs", views: 40 }, { path: "/pricing", views: 25 }])

    const listed = await env.KV.list({ prefix: "cache:analytics-summary:7" })
    expect(listed.keys).toHaveLength(1)
    const ttl = listed.keys[0]!.expiration! - Math.floor(Date.now() / 1000)
    expect(ttl).toBeGreaterThanOrEqual(295)
    expect(ttl).toBeLessThanOrEqual(301)

    // New data is not seen while the entry is fresh: the second answer comes from KV.
    await env.DB.prepare(`insert into page_views (day, path, views) values (?1, '/new', 5)`).bind(today()).run()
    const second = await call("/api/actions/analytics-summary", { headers: { authorization: `Bearer ${token}` } })
    expect(((await second.json()) as { generatedAt: string }).generatedAt).toBe(body.generatedAt)

    const wider = await call("/api/actions/analytics-summary?days=31", { headers: { authorization: `Bearer ${token}` } })
    expect(((await wider.json()) as { totalViews: number }).totalViews).toBe(225 + 5 + 999)
  })

  it("without a token: 401 JSON, and D1 is not touched", async () => {
    const response = await call("/api/actions/analytics-summary")
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: "Missing bearer token" })
    expect((await env.KV.list({ prefix: "cache:" })).keys).toEqual([])
  })

  it.each(["days=0", "days=91", "days=abc", "days=1.5"])("invalid input %s: 400 JSON", async (query) => {
    const { token } = await signUp()
    const response = await call(`/api/actions/analytics-summary?${query}`, { headers: { authorization: `Bearer ${token}` } })
    expect(response.status).toBe(400)
    expect(response.headers.get("content-type")).toMatch(/json/)
  })

  it("the worker serves an OpenAPI document describing the action", async () => {
    const response = await call("/openapi.json")
    expect(response.status).toBe(200)
    const doc = (await response.json()) as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/api/me", "/api/actions/analytics-summary"]))
    expect(Object.keys(doc.paths["/api/actions/analytics-summary"]!.get!.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "503"])
    )
  })
})
