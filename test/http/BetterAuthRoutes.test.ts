import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as RateLimit from "../../src/http/RateLimit.js"
import { BetterAuthRoutes } from "../../src/http/Routes.js"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import { Auth, AuthUnavailable } from "../../src/services/Auth.js"
import { MailerError } from "../../src/services/Mailer.js"
import type { AuthService } from "../../src/services/Auth.js"
import { TrustedOrigins } from "../../src/services/TrustedOrigins.js"

const routesWith = (handle: AuthService["handle"]) =>
  BetterAuthRoutes.layer.pipe(
    Layer.provide(Layer.succeed(Auth, Auth.of({ handle, sessionToken: () => Effect.succeed(Option.none()) }))),
    Layer.provide(RateLimiterKv.layer.pipe(Layer.provide(KvMemory.layer))),
    Layer.provide(RateLimit.RateLimitRules.layer()),
    Layer.provide(TrustedOrigins.layer({ baseURL: "http://localhost:8787", origins: [] }))
  )

const get = (path: string) => new Request(`http://localhost:8787${path}`, { headers: { "cf-connecting-ip": "198.51.100.7" } })

describe("BetterAuthRoutes: Better Auth's routes beside the API", () => {
  it.effect("matches the paths the router sent to Better Auth: case and repeated slashes folded", () =>
    Effect.gen(function*() {
      const routes = yield* BetterAuthRoutes
      for (const path of ["/api/auth/get-session", "/API/AUTH/get-session", "//api//auth/x", "/api/auth/"]) {
        expect([path, routes.matches(`http://localhost:8787${path}`)]).toEqual([path, true])
      }
      for (const path of ["/api/auth", "/api/me", "/api/authx/y", "/x/api/auth/y"]) {
        expect([path, routes.matches(`http://localhost:8787${path}`)]).toEqual([path, false])
      }
    }).pipe(Effect.provide(routesWith(() => Effect.succeed(new Response("{}"))))))

  it.effect("Better Auth's answer gets the limiter's headers and a request id", () =>
    Effect.gen(function*() {
      const routes = yield* BetterAuthRoutes
      const response = yield* routes.respond(get("/api/auth/get-session"))
      expect(response.status).toBe(200)
      expect(yield* Effect.promise(() => response.json())).toEqual({ session: null })
      expect(response.headers.get("ratelimit")).toMatch(/^"auth";r=99;t=\d+$/)
      expect(response.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9-]{1,64}$/)
    }).pipe(Effect.provide(routesWith(() => Effect.sync(() => Response.json({ session: null }))))))

  it.effect("a defect in Better Auth is a JSON 500 that still carries the limiter's headers and the id", () =>
    Effect.gen(function*() {
      const routes = yield* BetterAuthRoutes
      const response = yield* routes.respond(get("/api/auth/sign-out"))
      expect(response.status).toBe(500)
      expect(yield* Effect.promise(() => response.json())).toEqual({ error: "Internal server error" })
      expect(response.headers.get("ratelimit")).toMatch(/^"auth";r=99;t=\d+$/)
      expect(response.headers.get("x-request-id")).not.toBeNull()
    }).pipe(Effect.provide(routesWith(() => Effect.die(new Error("boom"))))))

  it.effect("a non-JSON error from Better Auth is answered as JSON with its status", () =>
    Effect.gen(function*() {
      const routes = yield* BetterAuthRoutes
      const response = yield* routes.respond(get("/api/auth/nowhere"))
      expect(response.status).toBe(404)
      expect(yield* Effect.promise(() => response.json())).toEqual({ error: "Not found" })
    }).pipe(Effect.provide(routesWith(() => Effect.sync(() => new Response(null, { status: 404 }))))))

  describe("answer (plain promise code; an Auth without a plain face is run through its handle) gives what respond gives", () => {
    const handles: ReadonlyArray<readonly [string, AuthService["handle"]]> = [
      ["an answer", () => Effect.sync(() => Response.json({ session: null }))],
      ["a defect", () => Effect.die(new Error("boom"))],
      ["an empty 404", () => Effect.sync(() => new Response(null, { status: 404 }))],
      ["Better Auth unavailable", () => Effect.fail(new AuthUnavailable({ message: "D1 unreachable" }))],
      ["a mail not sent", () => Effect.fail(new MailerError({ reason: "Unavailable", message: "provider answered 500" }))]
    ]
    for (const [name, handle] of handles) {
      for (const method of ["GET", "HEAD"]) {
        it.effect(`${name}, ${method}`, () =>
          Effect.gen(function*() {
            const routes = yield* BetterAuthRoutes
            const runtime = yield* Effect.runtime<never>()
            const request = () =>
              new Request("http://localhost:8787/api/auth/get-session", { method, headers: { "cf-ray": "0a1b2c3d4e5f6a7b-AMS", "cf-connecting-ip": "198.51.100.8" } })
            const seen = (response: Response) =>
              Effect.promise(async () => {
                const { ratelimit, ...headers } = Object.fromEntries(response.headers)
                return { status: response.status, headers, limited: ratelimit?.replace(/;t=\d+/, "").replace(/r=\d+/, "r"), body: await response.text() }
              })
            const before = yield* Effect.flatMap(routes.respond(request()), seen)
            const after = yield* Effect.flatMap(Effect.promise(() => routes.answer(request(), runtime)), seen)
            expect(after).toEqual(before)
            expect(before.headers["x-request-id"]).toBe("0a1b2c3d4e5f6a7b-AMS")
          }).pipe(Effect.provide(routesWith(handle))))
      }
    }
  })
})
