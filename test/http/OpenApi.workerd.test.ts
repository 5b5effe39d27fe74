// The whole API in one document (`GET /openapi.json`) in workerd: the worker's endpoints and
// actions with Better Auth's routes as the worker serves them, under the one Bearer scheme; and the
// page that reads it (`/docs/`, Swagger UI among the static assets).
import { env } from "cloudflare:test"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { makeWebHandler } from "../../src/http/App.js"
import { readConfig } from "../../src/http/Config.js"
import * as CoreLibrary from "../../src/layers/CoreLibrary.js"
import * as GeneratedLibrary from "../../src/layers/GeneratedLibrary.js"
import { withOpenApi } from "../../src/layers/OpenApiPlugin.js"
import * as Passkeys from "../../src/layers/Passkeys.js"
import { call, freshIp, origin } from "./helpers.js"

type Operation = { readonly tags: ReadonlyArray<string>; readonly security: ReadonlyArray<Record<string, ReadonlyArray<string>>> }
type Doc = {
  readonly paths: Record<string, Record<string, Operation>>
  readonly components: { readonly schemas: Record<string, unknown>; readonly securitySchemes: Record<string, unknown> }
  readonly tags: ReadonlyArray<{ readonly name: string; readonly description?: string }>
}

const document = async () => {
  const response = await call("/openapi.json")
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toMatch(/^application\/json/)
  return (await response.json()) as Doc
}

const required = [{ bearer: [] }]
const optional = [{}, { bearer: [] }]

describe("GET /openapi.json: the whole API", () => {
  it("the worker's endpoints and actions, and Better Auth's routes under /api/auth, passkeys and magic links included", async () => {
    const doc = await document()
    const paths = Object.keys(doc.paths)
    expect(paths).toEqual(expect.arrayContaining([
      "/health",
      "/api/capabilities",
      "/api/me",
      "/api/actions/analytics-summary",
      "/api/actions/sign-in-methods",
      "/api/auth/sign-up/email",
      "/api/auth/sign-in/email",
      "/api/auth/sign-out",
      "/api/auth/get-session",
      "/api/auth/list-sessions",
      "/api/auth/change-password",
      "/api/auth/sign-in/magic-link",
      "/api/auth/magic-link/verify",
      "/api/auth/passkey/generate-register-options",
      "/api/auth/passkey/verify-authentication",
      "/api/auth/passkey/list-user-passkeys"
    ]))
    // Every path of Better Auth's is under the base path; the worker's own come first.
    expect(paths.filter((p) => p.startsWith("/api/auth/")).length).toBeGreaterThan(25)
    expect(paths.filter((p) => !p.startsWith("/api/"))).toEqual(["/health"])
    expect(paths.indexOf("/api/me")).toBeLessThan(paths.indexOf("/api/auth/sign-in/email"))
    expect(doc.paths["/api/auth/sign-in/email"]!["post"]!.tags).toEqual(["auth"])
    expect(doc.paths["/api/auth/passkey/list-user-passkeys"]!["get"]!.tags).toEqual(["auth.passkey"])
    expect(doc.tags.map((t) => t.name)).toEqual(["system", "account", "actions", "auth", "auth.magic-link", "auth.passkey"])
    // The schemas Better Auth's answers refer to.
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["User", "Session", "Passkey", "Capabilities"]))
    const refs = JSON.stringify(doc.paths).match(/#\/components\/schemas\/[A-Za-z0-9]+/g) ?? []
    for (const ref of new Set(refs)) expect(doc.components.schemas).toHaveProperty(ref.slice("#/components/schemas/".length))
  })

  it("one Bearer scheme: required where a session is, taken when sent elsewhere; no apiKeyCookie", async () => {
    const doc = await document()
    expect(Object.keys(doc.components.securitySchemes)).toEqual(["bearer"])
    expect(doc.paths["/api/me"]!["get"]!.security).toEqual(required)
    expect(doc.paths["/api/auth/list-sessions"]!["get"]!.security).toEqual(required)
    expect(doc.paths["/api/auth/change-password"]!["post"]!.security).toEqual(required)
    expect(doc.paths["/api/auth/passkey/list-user-passkeys"]!["get"]!.security).toEqual(required)
    expect(doc.paths["/api/auth/sign-in/email"]!["post"]!.security).toEqual(optional)
    expect(doc.paths["/api/auth/get-session"]!["get"]!.security).toEqual(optional)
    const schemes = new Set(Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.security.flatMap(Object.keys))))
    expect([...schemes]).toEqual(["bearer"])
    expect(JSON.stringify(doc)).not.toMatch(/apiKeyCookie|bearerAuth/)
  })

  it("leaves out what the worker does not offer: social providers, user deletion, email changes, Better Auth's HTML error page, the plugin's own routes", async () => {
    const paths = Object.keys((await document()).paths)
    for (
      const path of [
        "/api/auth/sign-in/social",
        "/api/auth/callback/{id}",
        "/api/auth/link-social",
        "/api/auth/unlink-account",
        "/api/auth/refresh-token",
        "/api/auth/get-access-token",
        "/api/auth/account-info",
        "/api/auth/delete-user",
        "/api/auth/delete-user/callback",
        "/api/auth/change-email",
        "/api/auth/error",
        "/api/auth/open-api/generate-schema",
        "/api/auth/reference"
      ]
    ) expect(paths).not.toContain(path)
  })

  it("the openAPI plugin's own routes are not served", async () => {
    for (const path of ["/api/auth/open-api/generate-schema", "/api/auth/reference"]) {
      const response = await call(path)
      expect([path, response.status, response.headers.get("content-type")]).toEqual([path, 404, "application/json"])
      expect(await response.json()).toEqual({ error: "Not found" })
    }
  })

  it("the same document on every request", async () => {
    const [first, second] = [await (await call("/openapi.json")).text(), await (await call("/openapi.json")).text()]
    expect(second).toBe(first)
  })

  /** The document of a worker built from `env` that loads Better Auth with `load`. */
  const documentOf = async (load: typeof CoreLibrary.load) => {
    const app = makeWebHandler({ ...Either.getOrThrow(readConfig(env)), betterAuth: { load } })
    const response = await app.handler(new Request(`${origin}/openapi.json`, { headers: { "cf-connecting-ip": freshIp() } }), { waitUntil: () => undefined })
    await app.dispose()
    expect(response.status).toBe(200)
    return (await response.json()) as Doc
  }

  it("a worker without passkeys lists none", async () => {
    const doc = await documentOf(withOpenApi(CoreLibrary.load))
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/me", "/api/auth/sign-in/email", "/api/auth/sign-in/magic-link"]))
    expect(Object.keys(doc.paths).filter((p) => p.includes("passkey"))).toEqual([])
    expect(doc.tags.map((t) => t.name)).not.toContain("auth.passkey")
  })

  it("Better Auth's own module (built without the zod the generator does not use) describes what the plugin from npm does", async () => {
    const bundled = await documentOf(GeneratedLibrary.load)
    expect(Object.keys(bundled.paths).length).toBeGreaterThan(30)
    expect(bundled).toEqual(await documentOf(withOpenApi(Passkeys.load)))
  })

  it("a worker whose Better Auth has no openAPI plugin lists its own routes only", async () => {
    const doc = await documentOf(Passkeys.load)
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/auth/"))).toEqual([])
    expect(Object.keys(doc.paths)).toEqual(["/health", "/api/capabilities", "/api/me"])
  })

  it("each loader's openApi flag says whether the library it loads has the plugin", async () => {
    const loaders = [
      ["CoreLibrary.load", CoreLibrary.load],
      ["Passkeys.load", Passkeys.load],
      ["GeneratedLibrary.load", GeneratedLibrary.load],
      ["withOpenApi(Passkeys.load)", withOpenApi(Passkeys.load)]
    ] as const
    for (const [name, load] of loaders) {
      const library = await load()
      expect([name, library.openAPI !== undefined]).toEqual([name, load.openApi === true])
    }
    expect(withOpenApi(Passkeys.load).passkeys).toBe(true)
    expect((await withOpenApi(Passkeys.load)()).passkey).toBeDefined()
  })
})

describe("the API's page at /docs/", () => {
  it("is a static asset that loads Swagger UI, copied beside it, and reads /openapi.json", async () => {
    const page = await call("/docs/")
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"])
    const html = await page.text()
    expect(html).toContain(`src="swagger-ui/swagger-ui-bundle.js"`)
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    const script = await call("/docs/docs.js")
    expect(script.status).toBe(200)
    expect(await script.text()).toContain(`"/openapi.json"`)
    for (const [file, type] of [["swagger-ui-bundle.js", /javascript/], ["swagger-ui.css", /^text\/css/], ["LICENSE", null], ["NOTICE", null]] as const) {
      const response = await call(`/docs/swagger-ui/${file}`)
      expect([file, response.status]).toEqual([file, 200])
      if (type !== null) expect(response.headers.get("content-type")).toMatch(type)
      await response.body?.cancel()
    }
  })
})
