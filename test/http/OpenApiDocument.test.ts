// The document at /openapi.json in Node: the provider's part merged into the platform's document
// (`OpenApiDocument`), kept once made (`OpenApiRoute`), and Better Auth's generated document as the
// worker serves it (`OpenApiDescription`). Better Auth's own output is checked in workerd (OpenApi).
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect, Layer, Option } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { actions } from "../../src/http/actions/index.js"
import * as Api from "../../src/http/Api.js"
import { bearerSchemeOf, withAuthRoutes } from "../../src/http/OpenApiDocument.js"
import * as TestApp from "../../src/http/TestApp.js"
import { fromGenerated, notOffered } from "../../src/layers/betterauth/OpenApiDescription.js"
import { AuthProvider, AuthUnavailable } from "../../src/services/AuthProvider.js"
import type { AuthOpenApi } from "../../src/services/AuthProvider.js"

const own = () => OpenApi.fromApi(Api.make(actions))

/** A provider's part whose schema `Capabilities` is named like one of the API's. */
const routes: AuthOpenApi = {
  paths: {
    "/api/auth/whoami": { get: { tags: ["auth"], security: [{ bearer: [] }], responses: { 200: { content: { "application/json": { schema: { $ref: "#/components/schemas/Capabilities" } } } } } } },
    "/api/me": { get: { tags: ["auth"], responses: {} } }
  },
  schemas: { Capabilities: { type: "object", properties: { user: { $ref: "#/components/schemas/Profile" } } }, Profile: { type: "object" } },
  tags: [{ name: "auth", description: "The provider's routes." }, { name: "system", description: "not the API's" }]
}

describe("withAuthRoutes", () => {
  it("adds the provider's paths, schemas and tags after the API's, never replacing one of the API's", () => {
    const spec = own()
    const merged = withAuthRoutes(spec, routes)
    expect(bearerSchemeOf(spec)).toBe("bearer")
    expect(Object.keys(merged.paths)).toEqual([...Object.keys(spec.paths), "/api/auth/whoami"])
    expect(merged.paths["/api/me"]).toEqual(spec.paths["/api/me"])
    expect(merged.tags).toEqual([...spec.tags, { name: "auth", description: "The provider's routes." }])
    expect(merged.components.securitySchemes).toEqual(spec.components.securitySchemes)
  })

  it("a provider's schema named like one of the API's is renamed, and the provider's references follow it", () => {
    const spec = own()
    const merged = withAuthRoutes(spec, routes)
    expect(merged.components.schemas["Capabilities"]).toEqual(spec.components.schemas["Capabilities"])
    expect(merged.components.schemas["AuthCapabilities"]).toEqual(routes.schemas["Capabilities"])
    expect(merged.components.schemas["Profile"]).toEqual({ type: "object" })
    expect(JSON.stringify(merged.paths["/api/auth/whoami"])).toContain(`"$ref":"#/components/schemas/AuthCapabilities"`)
  })
})

describe("GET /openapi.json over a provider that describes its routes", () => {
  let calls = 0
  let failFirst = true
  const provider = Layer.succeed(AuthProvider, AuthProvider.of({
    handle: () => Effect.succeed(new Response(null, { status: 404 })),
    sessionToken: (credential) => Effect.succeed(Option.some(credential)),
    openApi: (bearerScheme) =>
      Effect.suspend(() => {
        calls++
        if (failFirst) {
          failFirst = false
          return Effect.fail(new AuthUnavailable({ message: "not loaded" }))
        }
        expect(bearerScheme).toBe("bearer")
        return Effect.succeed(routes)
      })
  }))
  const app = TestApp.make({ actions, auth: provider })
  afterAll(() => app.dispose())
  const get = () => app.fetch(`${TestApp.origin}/openapi.json`, { headers: { "cf-connecting-ip": "198.51.100.30" } })

  it("a provider that cannot answer: 503, and nothing kept; then the whole document, made once and kept", async () => {
    const failed = await get()
    expect([failed.status, await failed.json()]).toEqual([503, { error: "Service unavailable" }])
    const first = await get()
    expect(first.status).toBe(200)
    const doc = (await first.json()) as OpenApi.OpenAPISpec
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/me", "/api/auth/whoami"]))
    expect(await (await get()).json()).toEqual(doc)
    expect(calls).toBe(2)
  })
})

describe("Better Auth's generated document as the worker serves it", () => {
  const operation = { tags: ["Default"], security: [{ bearerAuth: [] }], responses: {} }
  const generated = {
    paths: {
      "/sign-in/email": { post: operation },
      "/sign-in/social": { post: operation },
      "/delete-user": { post: operation },
      "/list-sessions": { get: operation },
      "/passkey/list-user-passkeys": { get: { ...operation, tags: ["Passkey"], security: [{ apiKeyCookie: [], bearerAuth: [] }] } }
    },
    components: { schemas: { User: { type: "object" } }, securitySchemes: { apiKeyCookie: {}, bearerAuth: {} } }
  }
  const options = { auth: {}, basePath: "/api/auth", bearerScheme: "token", sessionRequired: new Set(["/list-sessions", "/passkey/list-user-passkeys"]) }

  it("under the base path, without what the options leave unused, tags and security the worker's", () => {
    expect(fromGenerated(generated, options)).toEqual({
      paths: {
        "/api/auth/sign-in/email": { post: { tags: ["auth"], security: [{}, { token: [] }], responses: {} } },
        "/api/auth/list-sessions": { get: { tags: ["auth"], security: [{ token: [] }], responses: {} } },
        "/api/auth/passkey/list-user-passkeys": { get: { tags: ["auth.passkey"], security: [{ token: [] }], responses: {} } }
      },
      schemas: { User: { type: "object" } },
      tags: [
        { name: "auth", description: expect.stringContaining("Better Auth") },
        { name: "auth.passkey", description: "Better Auth's passkey plugin." }
      ]
    })
  })

  it("what is left out follows the options: social providers, user deletion, email changes", () => {
    expect(notOffered({})).toEqual(new Set([
      "/sign-in/social", "/callback/{id}", "/link-social", "/unlink-account", "/refresh-token", "/get-access-token", "/account-info",
      "/delete-user", "/delete-user/callback", "/change-email", "/error"
    ]))
    const enabled = notOffered({
      socialProviders: { github: { clientId: "id", clientSecret: "secret" } },
      user: { deleteUser: { enabled: true }, changeEmail: { enabled: true } }
    })
    expect(enabled).toEqual(new Set(["/error"]))
    expect(Object.keys(fromGenerated(generated, { ...options, auth: { user: { deleteUser: { enabled: true } } } }).paths)).toContain("/api/auth/delete-user")
  })
})
