/**
 * Better Auth as the `Auth` service: email and password, the bearer plugin, users and accounts in
 * D1 (native binding), sessions in KV through the `SessionStore`.
 *
 * KV has no atomic operations, so Better Auth is configured never to need `getAndDelete` or
 * `increment`: verification values are consumed from D1 (`verification.storeInDatabase`) and its
 * built-in rate limiter is off (this project's `RateLimiter` guards the auth routes). Both are
 * defects here if ever reached.
 *
 * @module
 */
import { betterAuth } from "better-auth"
import type { BetterAuthOptions, SecondaryStorage } from "better-auth"
import { createAuthMiddleware, isAPIError } from "better-auth/api"
import { bearer } from "better-auth/plugins"
import type { BetterAuthPlugin } from "better-auth"
import { Context, Duration, Effect, Layer, Option, Redacted, Runtime } from "effect"
import { Auth, AuthUnavailable } from "../services/Auth.js"
import { admitAll, AuthGuard } from "../services/AuthGuard.js"
import type { AuthGuardService } from "../services/AuthGuard.js"
import { runPromise } from "../services/Isolated.js"
import { isSessionToken, SessionConfig, SessionStore } from "../services/SessionStore.js"
import type { SessionConfigShape, SessionStoreService } from "../services/SessionStore.js"
import { traced } from "../services/Tracing.js"
import { withClientErrors } from "./D1ClientErrors.js"

export interface BetterAuthConfigShape {
  readonly database: D1Database
  readonly secret: Redacted.Redacted<string>
  /** The worker's public origin, e.g. `http://localhost:8787`. */
  readonly baseURL: string
  /** The base path of the auth routes. Default `/api/auth`. */
  readonly basePath?: string
}

export class BetterAuthConfig extends Context.Tag("edge-auth-state/BetterAuthConfig")<
  BetterAuthConfig,
  BetterAuthConfigShape
>() {}

/** Thrown into Better Auth if it ever reaches an operation KV cannot do atomically. */
export class NonAtomicStorageDefect extends Error {
  constructor(operation: "getAndDelete" | "increment") {
    super(`Better Auth called secondaryStorage.${operation}, which KV cannot do atomically; this configuration must never reach it`)
    this.name = "NonAtomicStorageDefect"
    // Better Auth turns a thrown error into its own 500; say it here, by name, so it is not lost.
    console.error(JSON.stringify({ level: "FATAL", message: this.message, defect: this.name }))
  }
}

/** Better Auth's `secondaryStorage` over the session store, run on the given runtime. */
export const secondaryStorage = (store: SessionStoreService, runtime: Runtime.Runtime<never>): SecondaryStorage => {
  // Better Auth sees the store's own error (a SessionStoreError), not a FiberFailure wrapper.
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => runPromise(runtime, effect)
  return {
    get: (key) => run(Effect.map(store.storage.get(key), Option.getOrNull)),
    set: (key, value, ttl) => run(store.storage.set(key, value, ttl)),
    delete: (key) => run(store.storage.delete(key)),
    getAndDelete: () => {
      throw new NonAtomicStorageDefect("getAndDelete")
    },
    increment: () => {
      throw new NonAtomicStorageDefect("increment")
    }
  }
}

/** The session token a request carries: a Bearer credential, or Better Auth's session cookie. */
const credentialOf = (headers: Headers): string | undefined => {
  const bearer = /^[ \t]*bearer[ \t]+([A-Za-z0-9\-._~+/%]+=*)[ \t]*$/i.exec(headers.get("authorization") ?? "")
  if (bearer) return bearer[1]
  const cookie = /(?:^|;\s*)(?:__Secure-)?better-auth\.session_token=([^;]+)/.exec(headers.get("cookie") ?? "")
  return cookie?.[1]
}

/**
 * The guard as a Better Auth plugin: its hooks run once Better Auth has routed a request to a real
 * endpoint and parsed its body, before the endpoint (listed after `bearer`, whose hook they follow).
 * A refusal is answered as it is; an admitted attempt's `onSuccess` runs when the endpoint answered
 * without an error.
 */
export const guardPlugin = (
  guard: AuthGuardService,
  run: <A>(effect: Effect.Effect<A>) => Promise<A>,
  userOf: (headers: Headers) => Effect.Effect<Option.Option<string>>
) => {
  const onSuccess = new WeakMap<object, Effect.Effect<void>>()
  return {
    id: "edge-auth-state-guard",
    hooks: {
      before: [{
        matcher: (context) => guard.covers(context.path ?? ""),
        handler: createAuthMiddleware(async (ctx) => {
          const headers = ctx.headers ?? ctx.request?.headers ?? new Headers()
          const verdict = await run(guard.check({ endpoint: ctx.path, body: ctx.body, headers, userId: userOf(headers) }))
          if (verdict._tag === "Refused") return verdict.response
          for (const [name, value] of Object.entries(verdict.headers)) ctx.setHeader(name, value)
          if (ctx.request !== undefined) onSuccess.set(ctx.request, verdict.onSuccess)
          return
        })
      }],
      after: [{
        matcher: (context) => guard.covers(context.path ?? ""),
        handler: createAuthMiddleware(async (ctx) => {
          const success = ctx.request === undefined ? undefined : onSuccess.get(ctx.request)
          if (success !== undefined && !isAPIError(ctx.context.returned)) await run(success)
        })
      }]
    }
  } satisfies BetterAuthPlugin
}

/** The Better Auth options this project runs with. */
export const options = (
  config: BetterAuthConfigShape,
  session: SessionConfigShape,
  storage?: SecondaryStorage,
  extra: { readonly plugins?: ReadonlyArray<BetterAuthPlugin>; readonly onSessionDeleted?: (token: string) => Promise<void> } = {}
) =>
  ({
    appName: "edge-auth-state",
    baseURL: config.baseURL,
    basePath: config.basePath ?? "/api/auth",
    secret: Redacted.value(config.secret),
    database: withClientErrors(config.database),
    ...(storage ? { secondaryStorage: storage } : {}),
    emailAndPassword: { enabled: true },
    plugins: [bearer(), ...(extra.plugins ?? [])],
    session: {
      expiresIn: Math.round(Duration.toSeconds(session.expiresIn)),
      updateAge: Math.round(Duration.toSeconds(session.updateAge)),
      // The per-user index of sessions lives in D1, strongly consistent: KV's read-modify-write list
      // loses sessions created concurrently, so listing and revoking would miss them.
      storeSessionInDatabase: true
    },
    databaseHooks: {
      session: {
        delete: {
          // Every session row Better Auth deletes (revoke-sessions and user deletion included,
          // which end sessions its KV list may not know of) has its KV copy ended too.
          after: async (row) => {
            if (extra.onSessionDeleted) await extra.onSessionDeleted(row.token)
          }
        }
      }
    },
    verification: { storeInDatabase: true },
    rateLimit: { enabled: false },
    advanced: { ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] } },
    telemetry: { enabled: false }
  }) satisfies BetterAuthOptions

const encoder = new TextEncoder()

const base64Bytes = (text: string): Option.Option<Uint8Array> => {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "")
  if (!/^[A-Za-z0-9+/]*$/.test(normal) || normal.length % 4 === 1) return Option.none()
  try {
    const binary = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4))
    return Option.some(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return Option.none()
  }
}

const decodePercent = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * Better Auth guards sign-in and sign-up against cross-site form posts: a request with Fetch
 * Metadata (`Sec-Fetch-*`) must carry a trusted `Origin`. Server-side clients (Node's fetch among
 * them) send Fetch Metadata but no `Origin`, which no browser does for a POST. A request with no
 * `Origin`, `Referer` or `Cookie` therefore cannot be a browser's cross-site request, so its Fetch
 * Metadata is dropped and Better Auth treats it as the non-browser client it is. Browser requests
 * keep every check.
 */
export const forNonBrowserClients = (request: Request): Request => {
  // Only state-changing requests are checked by Better Auth's CSRF guard.
  if (request.method === "GET" || request.method === "HEAD") return request
  const headers = request.headers
  if (headers.has("origin") || headers.has("referer") || headers.has("cookie")) return request
  if (!headers.has("sec-fetch-site") && !headers.has("sec-fetch-mode") && !headers.has("sec-fetch-dest")) return request
  const stripped = new Headers(headers)
  stripped.delete("sec-fetch-site")
  stripped.delete("sec-fetch-mode")
  stripped.delete("sec-fetch-dest")
  stripped.delete("sec-fetch-user")
  return new Request(request, { headers: stripped })
}

export const make = Effect.gen(function*() {
  const config = yield* BetterAuthConfig
  const session = yield* SessionConfig
  const store = yield* SessionStore
  const guard = Option.getOrElse(yield* Effect.serviceOption(AuthGuard), () => admitAll)
  const runtime = yield* Effect.runtime<never>()
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => runPromise(runtime, effect)
  const userOf = (headers: Headers) =>
    Effect.gen(function*() {
      const credential = credentialOf(headers)
      if (credential === undefined) return Option.none<string>()
      const token = yield* sessionToken(credential)
      if (Option.isNone(token)) return Option.none<string>()
      const record = yield* Effect.orElseSucceed(store.lookup(token.value), () => Option.none())
      return Option.map(record, (r) => r.user.id)
    })
  const auth = betterAuth(options(config, session, secondaryStorage(store, runtime), {
    plugins: [guardPlugin(guard, run, userOf)],
    onSessionDeleted: (token) => run(store.revoke(token))
  }))
  // A CryptoKey may be shared across requests; the promise importing it may not, so each request
  // that finds no key imports one and keeps it.
  let cachedKey: CryptoKey | undefined
  const hmacKey = Effect.suspend(() =>
    cachedKey !== undefined
      ? Effect.succeed(cachedKey)
      : Effect.promise(() =>
        crypto.subtle.importKey("raw", encoder.encode(Redacted.value(config.secret)), { name: "HMAC", hash: "SHA-256" }, false, [
          "verify"
        ])
      ).pipe(Effect.tap((key) => Effect.sync(() => (cachedKey = key))))
  )

  const verifySigned = (credential: string) =>
    Effect.gen(function*() {
      const value = credential.includes("%") ? decodePercent(credential) : credential
      const dot = value.indexOf(".")
      const token = value.slice(0, dot)
      const signature = base64Bytes(value.slice(dot + 1))
      if (!isSessionToken(token) || Option.isNone(signature)) return Option.none<string>()
      const key = yield* hmacKey
      const valid = yield* Effect.promise(() =>
        crypto.subtle.verify("HMAC", key, signature.value, encoder.encode(token))
      )
      return valid ? Option.some(token) : Option.none<string>()
    })

  const sessionToken = (credential: string) =>
    credential.includes(".") || credential.includes("%")
      ? verifySigned(credential)
      : Effect.succeed(isSessionToken(credential) ? Option.some(credential) : Option.none())

  return Auth.of({
    handle: (request) =>
      Effect.tryPromise({
        try: () => auth.handler(forNonBrowserClients(request)),
        catch: (cause) => new AuthUnavailable({ message: `auth handler failed: ${String(cause)}` })
      }).pipe(
        Effect.flatMap((response) =>
          response.status >= 500
            ? Effect.fail(new AuthUnavailable({ message: `auth handler answered ${response.status}` }))
            : Effect.succeed(response)
        ),
        traced("Auth.handle")
      ),
    sessionToken
  })
})

/** Better Auth as the `Auth` service. */
export const layer: Layer.Layer<Auth, never, BetterAuthConfig | SessionConfig | SessionStore> = Layer.effect(Auth, make)
