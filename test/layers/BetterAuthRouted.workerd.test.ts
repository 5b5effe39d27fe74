/**
 * `KeptRouter.handlerWithKeptRouter`: Better Auth's handler with its router built once per list of trusted
 * origins, held to
 * `auth.handler` itself, answer for answer, in workerd over the real D1.
 */
import { env } from "cloudflare:test"
import { Duration, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as KeptRouter from "../../src/layers/betterauth/KeptRouter.js"
import type { Library } from "../../src/layers/betterauth/Library.js"
import * as Options from "../../src/layers/betterauth/Options.js"
import * as BetterAuthLibrary from "../../src/layers/betterauth/LibraryModule.js"
import { origin } from "../http/helpers.js"

const secret = Redacted.make("routed-handler-test-secret-at-least-32-characters")

const makeAuth = (trustedOrigins: ReadonlyArray<string> = []) =>
  BetterAuthLibrary.betterAuth(Options.options(
    BetterAuthLibrary,
    { database: env.DB, secret, baseURL: origin, trustedOrigins },
    { expiresIn: Duration.days(7), updateAge: Duration.days(1) }
  ))

/** The library, with every router Better Auth builds counted. */
const counting = () => {
  const built: Array<string> = []
  const library: Pick<Library, "router" | "runWithAdapter"> = {
    runWithAdapter: BetterAuthLibrary.runWithAdapter,
    router: (ctx, options) => {
      built.push([...ctx.trustedOrigins].sort().join(" "))
      return BetterAuthLibrary.router(ctx, options)
    }
  }
  return { built, library }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

/** Status, the headers that carry meaning, and the body: what a client can tell apart. */
const seen = async (response: Response) => ({
  status: response.status,
  contentType: response.headers.get("content-type"),
  body: await response.text()
})

/** What `routed` answers to the request `make` makes, after checking `auth.handler` answers the same. */
const sameAs = async (auth: KeptRouter.RoutableAuth, routed: (request: Request) => Promise<Response>, make: () => Request) => {
  const ours = await seen(await routed(make()))
  expect(ours).toEqual(await seen(await auth.handler(make())))
  return ours
}

describe("handlerWithKeptRouter", () => {
  it("builds Better Auth's router once for a list of trusted origins, not once per request", async () => {
    const auth = makeAuth()
    const { built, library } = counting()
    const routed = KeptRouter.handlerWithKeptRouter(library, auth)
    for (let i = 0; i < 3; i++) expect((await routed(new Request(`${origin}/api/auth/ok`))).status).toBe(200)
    expect(built).toHaveLength(1)
    await Promise.all(Array.from({ length: 4 }, () => routed(new Request(`${origin}/api/auth/ok`))))
    expect(built).toHaveLength(1)
    // Another host is not trusted (its list is the configured one): the same router.
    expect((await routed(new Request("http://other.example/api/auth/ok"))).status).toBe(200)
    expect(built).toHaveLength(1)
    // Another loopback port of a loopback worker is trusted on requests sent to it: its own list.
    expect((await routed(new Request("http://127.0.0.1:9001/api/auth/ok"))).status).toBe(200)
    expect(built).toHaveLength(2)
  })

  it("answers every request as auth.handler does: sign-up, sign-in, a wrong password, get-session, sign-out, an unknown path, a bad body", async () => {
    const auth = makeAuth()
    const routed = KeptRouter.handlerWithKeptRouter(counting().library, auth)
    const both = (make: () => Request) => sameAs(auth, routed, make)
    const email = `routed-${crypto.randomUUID()}@example.com`
    const signUp = await routed(post(`${origin}/api/auth/sign-up/email`, { email, password: "correct-horse-battery", name: "R" }, { origin }))
    expect(signUp.status).toBe(200)
    // A sign-up opens no session (it answers alike whether or not the address was free).
    expect(await signUp.json()).toMatchObject({ token: null })
    const signIn = await routed(post(`${origin}/api/auth/sign-in/email`, { email, password: "correct-horse-battery" }, { origin }))
    const token = signIn.headers.get("set-auth-token")!
    expect(token).toBeTruthy()

    expect((await both(() => post(`${origin}/api/auth/sign-in/email`, { email, password: "wrong-horse-battery" }, { origin }))).status).toBe(401)
    // A taken address answers as a free one would, a made-up user with an id of its own each time.
    const again = () => post(`${origin}/api/auth/sign-up/email`, { email, password: "correct-horse-battery", name: "R" }, { origin })
    expect([(await routed(again())).status, (await auth.handler(again())).status]).toEqual([200, 200])
    expect((await both(() => post(`${origin}/api/auth/sign-in/email`, { email: "not an address", password: "x" }, { origin }))).status).toBe(400)
    expect((await both(() => new Request(`${origin}/api/auth/no-such-route`))).status).toBe(404)
    const session = await both(() => new Request(`${origin}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}` } }))
    expect(session.status).toBe(200)
    expect(JSON.parse(session.body)).toMatchObject({ user: { email } })
    expect((await both(() => new Request(`${origin}/api/auth/get-session`))).body).toBe("null")

    const signOut = await routed(post(`${origin}/api/auth/sign-out`, {}, { origin, authorization: `Bearer ${token}` }))
    expect(signOut.status).toBe(200)
    expect((await both(() => new Request(`${origin}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}` } }))).body).toBe("null")
  })

  it("trusts a request's own origin only on a loopback worker reached on loopback, and only on requests sent to it", async () => {
    const auth = makeAuth(["https://app.example"])
    const { built, library } = counting()
    const routed = KeptRouter.handlerWithKeptRouter(library, auth)
    const attempt = (host: string, from: string) => () =>
      post(`${host}/api/auth/sign-in/email`, { email: "nobody@example.com", password: "wrong-horse-battery" }, { origin: from })
    const both = async (make: () => Request) => (await sameAs(auth, routed, make)).status
    // A page on a loopback port may call that port (its own origin), and so may a configured origin.
    expect(await both(attempt("http://127.0.0.1:9001", "http://127.0.0.1:9001"))).toBe(401)
    expect(await both(attempt("http://127.0.0.1:9001", "https://app.example"))).toBe(401)
    // The same page calling another port is refused there, after the first port's router was kept.
    expect(await both(attempt("http://127.0.0.1:9002", "http://127.0.0.1:9001"))).toBe(403)
    expect(await both(attempt("http://127.0.0.1:9002", "http://127.0.0.1:9002"))).toBe(401)
    // A host the client named is never trusted as its own origin.
    expect(await both(attempt("https://a.example", "https://a.example"))).toBe(403)
    expect(await both(attempt("https://a.example", "https://app.example"))).toBe(401)
    expect(built).toEqual([
      ["http://127.0.0.1:9001", "http://localhost:8787", "https://app.example"].sort().join(" "),
      ["http://127.0.0.1:9002", "http://localhost:8787", "https://app.example"].sort().join(" "),
      ["http://localhost:8787", "https://app.example"].sort().join(" ")
    ])
  })

  it("past `limit` lists, answers through auth.handler", async () => {
    const auth = makeAuth()
    const { built, library } = counting()
    const routed = KeptRouter.handlerWithKeptRouter(library, auth, 2)
    for (const host of ["http://127.0.0.1:9101", "http://127.0.0.1:9102", "http://127.0.0.1:9103", "http://127.0.0.1:9104"]) {
      expect((await routed(new Request(`${host}/api/auth/ok`))).status).toBe(200)
      expect((await routed(post(`${host}/api/auth/sign-in/email`, { email: "nobody@example.com", password: "x" }, { origin: host }))).status).toBe(401)
    }
    expect(built).toHaveLength(2)
  })

  it("leaves a configuration whose per-request values depend on more than the origin to auth.handler", async () => {
    const auth = makeAuth()
    const { built, library } = counting()
    const dynamicBase = { ...auth, options: { ...auth.options, baseURL: { allowedHosts: ["localhost:8787"] } } }
    expect(KeptRouter.handlerWithKeptRouter(library, dynamicBase)).toBe(auth.handler)
    const providersOfRequest = {
      ...auth,
      options: { ...auth.options, account: { accountLinking: { trustedProviders: () => ["google" as const] } } }
    }
    expect(KeptRouter.handlerWithKeptRouter(library, providersOfRequest)).toBe(auth.handler)
    // Origins a function finds asynchronously (from a database, say) are found per request, by Better Auth.
    const asyncOrigins = BetterAuthLibrary.betterAuth({ ...auth.options, trustedOrigins: async () => ["https://app.example"] })
    const routed = KeptRouter.handlerWithKeptRouter(library, asyncOrigins)
    const signIn = post(`${origin}/api/auth/sign-in/email`, { email: "nobody@example.com", password: "x" }, { origin: "https://app.example" })
    expect((await routed(signIn)).status).toBe(401)
    expect(built).toHaveLength(0)
  })
})
