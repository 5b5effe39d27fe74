/**
 * Better Auth as the `Auth` service: email and password (with password reset and address
 * verification by mail), magic links, passkeys and the bearer plugin; users, accounts, passkeys and
 * single-use tokens in D1 (native binding), sessions in KV through the `SessionStore`, mail through
 * the `Mailer`.
 *
 * Better Auth itself is loaded (`BetterAuthLibrary`, see `loadLibrary`) and built on the first
 * request that reaches it, not when the layer is built: checking a session token (every Bearer
 * request to the API) is an HMAC check done here, so a worker that starts and answers such requests
 * never pays for parsing, evaluating and configuring Better Auth. Functions here that need Better Auth's values take the
 * library as their first argument.
 *
 * KV has no atomic operations, so Better Auth is configured never to need `getAndDelete` or
 * `increment`: verification values are consumed from D1 (`verification.storeInDatabase`) and its
 * built-in rate limiter is off (this project's `RateLimiter` guards the auth routes). Both are
 * defects here if ever reached.
 *
 * @module
 */
import type { AuthContext, BetterAuthOptions, BetterAuthPlugin, SecondaryStorage } from "better-auth"
import { Context, Duration, Effect, Layer, Option, Redacted, Runtime } from "effect"
import { Auth, AuthUnavailable, bearerCredential, plainHandle } from "../services/Auth.js"
import type { AuthService, HandlePlain } from "../services/Auth.js"
import { admitAll, AuthGuard } from "../services/AuthGuard.js"
import type { AuthGuardService } from "../services/AuthGuard.js"
import { runPromise } from "../services/Isolated.js"
import { Mailer, MailerError } from "../services/Mailer.js"
import type { Mail } from "../services/Mailer.js"
import { isSessionToken, plainStorage, SessionConfig, SessionStore } from "../services/SessionStore.js"
import type { SessionConfigShape, SessionStoreService } from "../services/SessionStore.js"
import { traced } from "../services/Tracing.js"
import * as AuthMails from "./AuthMails.js"
import { accountClaims } from "./betterauth/AccountClaims.js"
import { makeSender, markPasskeyVerified, withinRequest } from "./AuthRequestScope.js"
import { guardPlugin } from "./betterauth/GuardPlugin.js"
import type { EndpointInput } from "./betterauth/GuardPlugin.js"
import type { Library } from "./betterauth/Library.js"
import * as TrustedOrigins from "../services/TrustedOrigins.js"

export type { Library } from "./betterauth/Library.js"

/**
 * `BetterAuthLibrary`, bundled on its own (`npm run build:auth`, scripts/build-auth-library.ts) so
 * that the worker's bundle does not even contain it: wrangler uploads it as a module beside the
 * worker's, and workerd parses it when it is first imported, not when an isolate starts.
 */
const loadLibrary = (): Promise<Library> => import("./generated/better-auth.mjs" as string)

export interface BetterAuthConfigShape {
  readonly database: D1Database
  readonly secret: Redacted.Redacted<string>
  /** The worker's public origin, e.g. `http://localhost:8787`. */
  readonly baseURL: string
  /** The base path of the auth routes. Default `/api/auth`. */
  readonly basePath?: string
  /**
   * The WebAuthn relying party: its id (default: `baseURL`'s hostname) and the origins a passkey
   * ceremony may come from (default: `baseURL`'s origin). A passkey is bound to the id for good.
   */
  readonly passkey?: { readonly rpID?: string; readonly origins?: ReadonlyArray<string> }
  /**
   * Address verification: `off` (the default) sends a verification mail only when asked
   * (`/send-verification-email`); `on-sign-up` also sends one on every sign-up; `required` does
   * that and refuses password sign-in until the address is confirmed.
   */
  readonly emailVerification?: "off" | "on-sign-up" | "required"
  /** Whether following a magic link for an unknown address creates the account. Default true. */
  readonly magicLinkSignUp?: boolean
  /**
   * Origins trusted besides `baseURL` and the request's own (`TrustedOrigins.parse`'s output).
   * Default none.
   */
  readonly trustedOrigins?: ReadonlyArray<string>
}

/** How long the links in mails work, in seconds (Better Auth's own defaults, stated once). */
export const linkLifetimes = { magicLink: 300, resetPassword: 3600, verifyEmail: 3600 } as const

/** The fragment a page-bound magic link carries its token in (`<callbackURL>#magic-link-token=<token>`). */
export const magicLinkFragment = "magic-link-token"

/**
 * Where a magic link's mail points. By default, Better Auth's verify URL: following it answers a
 * redirect with `set-auth-token`, which a client reading the response uses, but which a browser
 * following the link never shows its page. A request with `metadata: { link: "page" }` gets a link
 * to its `callbackURL` instead (already checked to be a relative path or a trusted origin), with
 * the token in the fragment: the page verifies it itself with a fetch
 * (`GET /magic-link/verify?token=...`, no callbackURL) and reads the Bearer token from that answer.
 * The fragment is never sent to the page's server nor in a `Referer`.
 */
export const magicLinkTarget = (verifyUrl: string, token: string, metadata: unknown, baseURL: string): string => {
  const toPage = typeof metadata === "object" && metadata !== null && "link" in metadata && metadata.link === "page"
  if (!toPage) return verifyUrl
  const page = new URL(new URL(verifyUrl).searchParams.get("callbackURL") ?? "/", baseURL)
  page.hash = `${magicLinkFragment}=${encodeURIComponent(token)}`
  return page.toString()
}

/** Sends one mail for Better Auth; rejects (with Better Auth's 503) when it was not sent. */
export type SendMail = (mail: Mail) => Promise<void>

const noMailer: SendMail = () => Promise.reject(new Error("no mailer configured"))

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
    // The read on every auth request: the store's promise face when it has one (see `PlainFace`).
    get: plainStorage.of(store)?.get ?? ((key) => run(Effect.map(store.storage.get(key), Option.getOrNull))),
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

/** The shortest and longest password Better Auth takes (its defaults, stated once for the guard too). */
export const passwordLengths = { min: 8, max: 128 } as const

/** The Better Auth options this project runs with. */
export const options = (
  library: Library,
  config: BetterAuthConfigShape,
  session: SessionConfigShape,
  storage?: SecondaryStorage,
  extra: {
    /** The guard Better Auth asks before each endpoint it covers, and how its Effects are run. */
    readonly guard?: {
      readonly service: AuthGuardService
      readonly run: <A>(effect: Effect.Effect<A>) => Promise<A>
      readonly inputOf: (endpoint: string) => EndpointInput | undefined
    }
    readonly onSessionDeleted?: (token: string) => Promise<void>
    /** How mail is sent (magic links, resets, verification); the schema does not depend on it. */
    readonly send?: SendMail
  } = {}
) => {
  const { APIError, bearer, magicLink, passkey, withClientErrors } = library
  const appName = "edge-auth-state"
  const verification = config.emailVerification ?? "off"
  const send = extra.send ?? noMailer
  const claims = accountClaims()
  const bearerPlugin = bearer()
  return {
    appName,
    baseURL: config.baseURL,
    basePath: config.basePath ?? "/api/auth",
    trustedOrigins: TrustedOrigins.forBetterAuth({ baseURL: config.baseURL, origins: config.trustedOrigins ?? [] }),
    secret: Redacted.value(config.secret),
    database: withClientErrors(config.database),
    ...(storage ? { secondaryStorage: storage } : {}),
    emailAndPassword: {
      enabled: true,
      // A sign-up answers alike for a new and a taken address (no session for either: a session
      // would say the address was free), so it does not reveal which addresses have accounts.
      // The client signs in next, as for an existing account.
      autoSignIn: false,
      minPasswordLength: passwordLengths.min,
      maxPasswordLength: passwordLengths.max,
      requireEmailVerification: verification === "required",
      resetPasswordTokenExpiresIn: linkLifetimes.resetPassword,
      // A reset proves control of the mailbox, not of every device: end every other session.
      revokeSessionsOnPasswordReset: true,
      onPasswordReset: claims.onPasswordReset,
      sendResetPassword: ({ user, url }) =>
        send(AuthMails.resetPassword(appName, user.email, url, linkLifetimes.resetPassword))
    },
    emailVerification: {
      sendOnSignUp: verification !== "off",
      autoSignInAfterVerification: true,
      expiresIn: linkLifetimes.verifyEmail,
      sendVerificationEmail: ({ user, url }) => send(AuthMails.verifyEmail(appName, user.email, url, linkLifetimes.verifyEmail))
    },
    plugins: [
      bearerPlugin,
      claims.plugin,
      ...(extra.guard === undefined
        ? []
        : [guardPlugin(library, extra.guard.service, extra.guard.run, { bearer: bearerPlugin, inputOf: extra.guard.inputOf, passwords: passwordLengths })]),
      magicLink({
        expiresIn: linkLifetimes.magicLink,
        // D1 keeps a hash: a read of the verification table yields no usable link.
        storeToken: "hashed",
        disableSignUp: config.magicLinkSignUp === false,
        sendMagicLink: ({ email, url, token, metadata }) =>
          send(AuthMails.magicLink(appName, email, magicLinkTarget(url, token, metadata, config.baseURL), linkLifetimes.magicLink))
      }),
      passkey({
        rpName: appName,
        rpID: config.passkey?.rpID ?? new URL(config.baseURL).hostname,
        origin: [...(config.passkey?.origins ?? [new URL(config.baseURL).origin])],
        registration: {
          afterVerification: async ({ ctx, verification }) => {
            // WebAuthn §7.1 step 22: a credential id already registered (to anyone) is refused, so
            // nobody can shadow another user's passkey with a key of their own.
            const id = verification.registrationInfo?.credential.id
            const existing = id === undefined
              ? null
              : await ctx.context.adapter.findOne({ model: "passkey", where: [{ field: "credentialID", value: id }] })
            if (existing !== null) {
              throw new APIError("BAD_REQUEST", { message: "This passkey is already registered", code: "PASSKEY_ALREADY_REGISTERED" })
            }
            markPasskeyVerified()
          }
        },
        authentication: {
          afterVerification: async () => {
            markPasskeyVerified()
          }
        }
      })
    ],
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
  } satisfies BetterAuthOptions
}

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

/** What `routedHandler` needs of a built Better Auth. */
export interface RoutableAuth {
  readonly handler: (request: Request) => Promise<Response>
  readonly options: BetterAuthOptions
  /** Its context (an `AuthContext` narrowed by the options' plugins). */
  readonly $context: Promise<object>
}

/**
 * `auth.handler`, with Better Auth's router built once per list of trusted origins instead of on
 * every request. Better Auth's handler copies its context and builds every endpoint and a new
 * router for each request (better-auth#10188): in the profile of the rate-limited auth request that
 * was the largest part of Better Auth's own time. What else its handler does per request is done
 * here the same way: a copy of the context with the request's trusted origins, and the adapter's
 * async context around the call. A workaround: once Better Auth keeps its router across requests
 * (the fix proposed in better-auth#10287), `auth.handler` does this itself and this goes.
 *
 * A router is kept only when nothing else in that copy depends on the request: a `baseURL` that is
 * a string, trusted providers that are a list, and trusted origins that are a list or a function
 * answering at once from the request alone (`TrustedOrigins.forBetterAuth`). Any other
 * configuration, and lists beyond the first `limit`, go to `auth.handler` as before.
 *
 * A request awaits what `auth.handler` awaits (Better Auth's context) and nothing more: its router
 * is found, or built, synchronously after it, so no request awaits a router another one is building.
 */
export const routedHandler = (
  library: Pick<Library, "router" | "runWithAdapter">,
  auth: RoutableAuth,
  limit = 16
): ((request: Request) => Promise<Response>) => {
  const { options } = auth
  if (typeof options.baseURL !== "string" || typeof options.account?.accountLinking?.trustedProviders === "function") {
    return auth.handler
  }
  const trustedFor = options.trustedOrigins
  const routers = new Map<string, { readonly adapter: AuthContext["adapter"]; readonly handler: (request: Request) => Promise<Response> }>()
  const routerFor = (ctx: AuthContext, extra: ReadonlyArray<string>) => {
    const key = extra.join(" ")
    const known = routers.get(key)
    if (known !== undefined || routers.size >= limit) return known
    // Better Auth's own copy: its prototype and every property, then the request's values.
    const handlerCtx: AuthContext = Object.create(Object.getPrototypeOf(ctx), Object.getOwnPropertyDescriptors(ctx))
    // The start-up list (no request) and what the request adds to it: Better Auth's list for it.
    handlerCtx.trustedOrigins = [...ctx.trustedOrigins, ...extra.filter((o) => Boolean(o) && !ctx.trustedOrigins.includes(o))]
    const routed = { adapter: handlerCtx.adapter, handler: library.router(handlerCtx, options).handler }
    routers.set(key, routed)
    return routed
  }
  return (request) =>
    auth.$context.then((ctx) => {
      const extra: unknown = typeof trustedFor === "function" ? trustedFor(request) : []
      if (!Array.isArray(extra) || !extra.every((o): o is string => typeof o === "string")) return auth.handler(request)
      const routed = routerFor(ctx as AuthContext, extra)
      if (routed === undefined) return auth.handler(request)
      // Typed as a promise of the promise `fn` returns; it awaits it, as Better Auth's handler relies on.
      return library.runWithAdapter(routed.adapter, () => routed.handler(request)) as unknown as Promise<Response>
    })
}

/**
 * The passkey plugin answers whatever fails in its verification routes alike: a registration with
 * 500, a sign-in with 400, whether WebAuthn verification failed (the client's fault) or storing the
 * passkey or the session did (the server's). `afterVerification` records that verification passed,
 * which tells the two apart: before it, a 4xx with the plugin's own body; after it, a 503.
 */
const isPasskeyVerification = (url: string) => /\/passkey\/verify-(registration|authentication)\/?$/i.test(new URL(url).pathname)

const clientFault = async (response: Response) =>
  new Response(await response.text(), { status: 400, headers: { "content-type": "application/json" } })

export const make = Effect.gen(function*() {
  const config = yield* BetterAuthConfig
  const session = yield* SessionConfig
  const store = yield* SessionStore
  const guard = Option.getOrElse(yield* Effect.serviceOption(AuthGuard), () => admitAll)
  const mailer = yield* Mailer
  const runtime = yield* Effect.runtime<never>()
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => runPromise(runtime, effect)
  const build = (library: Library) => {
    // The input each endpoint takes, for the guard: known once Better Auth has built them.
    const inputs = new Map<string, EndpointInput>()
    const auth = library.betterAuth(options(library, config, session, secondaryStorage(store, runtime), {
      guard: { service: guard, run, inputOf: (endpoint) => inputs.get(endpoint) },
      onSessionDeleted: (token) => run(store.revoke(token)),
      send: makeSender(mailer, runtime, library.APIError)
    }))
    for (const endpoint of Object.values(auth.api) as ReadonlyArray<{ readonly path?: string; readonly options?: EndpointInput }>) {
      if (endpoint.path !== undefined && endpoint.options !== undefined) inputs.set(endpoint.path, endpoint.options)
    }
    return auth
  }
  // Built once, by the first request that needs it. Each such request awaits an import of its own
  // (no request awaits a promise another request created); the first to have it builds Better Auth.
  let built: ((request: Request) => Promise<Response>) | undefined
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

  // Better Auth's handler as plain promise code (see `PlainFace`); `handle` runs the same. Every way
  // it can fail is typed: Better Auth's module that cannot be imported or built, or a handler that
  // throws, is `AuthUnavailable` (a 503 and a logged error), as a database it cannot reach is.
  const handlePlain: HandlePlain = async (request, requestRuntime) => {
    let answered: Awaited<ReturnType<typeof withinRequest<Response>>>
    try {
      if (built === undefined) {
        const library = await loadLibrary()
        // Another request may have built it while this one awaited its import.
        built ??= routedHandler(library, build(library))
      }
      const handler = built
      answered = await withinRequest(requestRuntime, () => handler(forNonBrowserClients(request)))
    } catch (cause) {
      throw new AuthUnavailable({ message: `auth handler failed: ${String(cause)}` })
    }
    const { mailFailure, passkeyVerified, result: response } = answered
    if (passkeyVerified && response.status >= 400 && isPasskeyVerification(request.url)) {
      throw new AuthUnavailable({ message: `passkey verified, then answered ${response.status}` })
    }
    if (response.status < 500) return response
    if (mailFailure !== undefined) throw mailFailure
    if (!passkeyVerified && isPasskeyVerification(request.url)) {
      return clientFault(response).catch((cause: unknown) => {
        throw new AuthUnavailable({ message: `auth handler's answer not read: ${String(cause)}` })
      })
    }
    throw new AuthUnavailable({ message: `auth handler answered ${response.status}` })
  }

  const handle: AuthService["handle"] = (request) =>
    Effect.flatMap(Effect.runtime<never>(), (requestRuntime) =>
      Effect.tryPromise({
        try: () => handlePlain(request, () => requestRuntime),
        catch: (error) =>
          error instanceof AuthUnavailable || error instanceof MailerError
            ? error
            : new AuthUnavailable({ message: `auth handler failed: ${String(error)}` })
      })).pipe(traced("Auth.handle"))

  return plainHandle.attach(Auth.of({ handle, sessionToken }), handlePlain)
})

/** Better Auth as the `Auth` service. */
export const layer: Layer.Layer<Auth, never, BetterAuthConfig | SessionConfig | SessionStore | Mailer> = Layer.effect(
  Auth,
  make
)
