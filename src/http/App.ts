/**
 * The composition root: the one place that chooses a layer for every service.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import type { Runtime } from "effect"
import { Authenticated } from "../services/CurrentUser.js"
import * as BetterAuth from "../layers/BetterAuth.js"
import * as CacheKv from "../layers/CacheKv.js"
import * as DatabaseD1 from "../layers/DatabaseD1.js"
import * as KvBinding from "../layers/KvBinding.js"
import * as MailerOutbox from "../layers/MailerOutbox.js"
import * as MailerResend from "../layers/MailerResend.js"
import * as RateLimiterBinding from "../layers/RateLimiterBinding.js"
import * as RateLimiterDurableObject from "../layers/RateLimiterDurableObject.js"
import * as RateLimiterKv from "../layers/RateLimiterKv.js"
import * as SessionIndexD1 from "../layers/SessionIndexD1.js"
import * as SessionStoreKv from "../layers/SessionStoreKv.js"
import { BackgroundTasks } from "../services/BackgroundTasks.js"
import { Auth } from "../services/Auth.js"
import { AuthGuard } from "../services/AuthGuard.js"
import { Cache } from "../services/Cache.js"
import { Database } from "../services/Database.js"
import { Kv } from "../services/Kv.js"
import { Mailer, Outbox } from "../services/Mailer.js"
import { describePolicy, RateLimiter } from "../services/RateLimiter.js"
import type { RateLimiterService } from "../services/RateLimiter.js"
import { SessionIndex } from "../services/SessionIndex.js"
import { SessionConfig, SessionStore } from "../services/SessionStore.js"
import { Tracing } from "../services/Tracing.js"
import { TrustedOrigins } from "../services/TrustedOrigins.js"
import { Api } from "./Api.js"
import type { AppConfig, MailerConfig, RateLimiterChoice } from "./Config.js"
import { DevOutboxRouteLive } from "./DevOutbox.js"
import * as Cors from "./Cors.js"
import { isolated, runPromise } from "../services/Isolated.js"
import * as AuthGuardLive from "./AuthGuardLive.js"
import { bufferBody, defaultMaxBodyBytes, refusal } from "./BodyLimit.js"
import * as JsonErrors from "./JsonErrors.js"
import * as Observability from "./Observability.js"
import * as OpenApiRoute from "./OpenApiRoute.js"
import * as RateLimit from "./RateLimit.js"
import { Authentication, authenticateAuthorization } from "./Authentication.js"
import * as Direct from "./Direct.js"
import { BetterAuthRoutes, directHandlers, MetricsRouteLive, RoutesLive } from "./Routes.js"

export interface AppOptions extends AppConfig {
  /** Replaces the default rate-limit rules (`RateLimit.RateLimitRules.layer({...})`). */
  readonly rateLimits?: Layer.Layer<RateLimit.RateLimitRules>
  /** Spans around service calls, for when a tracer is installed to export them (see `Tracing`). */
  readonly tracing?: boolean
  /**
   * Answer the API's plain GET endpoints without the platform's router (`Direct`), and Better
   * Auth's routes as plain promise code (`BetterAuthRoutes.answer`); on by default. Off, every
   * request takes the platform's path and `BetterAuthRoutes.respond`, as the comparison tests do.
   */
  readonly direct?: boolean
}

/** The `Mailer` the configuration names, and the `Outbox` that reads it (empty but for the outbox). */
const mailerServices = (config: MailerConfig) =>
  config._tag === "Outbox"
    ? MailerOutbox.make()
    : Effect.succeed({
      mailer: MailerResend.make({ from: config.from, apiKey: config.apiKey }),
      outbox: Outbox.of({ messages: Effect.succeed([]) })
    })

/** The `Mailer` the configuration names; the outbox also provides the `Outbox` that reads it. */
export const mailerLayer = (config: MailerConfig): Layer.Layer<Mailer | Outbox> =>
  Layer.effectContext(
    Effect.map(mailerServices(config), ({ mailer, outbox }) => Context.make(Mailer, mailer).pipe(Context.add(Outbox, outbox)))
  )

/**
 * The rate limiter the configuration chooses, checked against the rules it will count: a policy
 * the backend cannot count stops the worker at start-up (building the runtime fails) with the
 * rule named, never a wrong count later.
 */
const makeRateLimiter = (
  choice: RateLimiterChoice,
  rules: ReadonlyArray<RateLimit.RateLimitRule>
): Effect.Effect<RateLimiterService, never, Kv> => {
  switch (choice.backend) {
    case "durable-object":
      return Effect.sync(() => RateLimiterDurableObject.make(choice.namespace))
    case "binding": {
      const planned = RateLimiterBinding.plan(RateLimit.rulePolicies(rules), Object.fromEntries(choice.bindings))
      // Windows a binding cannot count (an hourly budget) are counted in KV.
      return planned._tag === "Left"
        ? Effect.die(new Error(planned.left.join("\n")))
        : Effect.map(RateLimiterKv.make, (longerWindows) => RateLimiterBinding.make(planned.right, longerWindows))
    }
    case "kv": {
      const sliding = RateLimit.rulePolicies(rules).filter(({ policy }) => policy.algorithm === "sliding-window")
      return sliding.length > 0
        ? Effect.die(
          new Error(sliding.map(({ policy, rule }) =>
            `RATE_LIMIT_BACKEND=kv cannot count rule "${rule}" (${describePolicy(policy)}): KV counts fixed windows only; use RATE_LIMIT_BACKEND=durable-object`
          ).join("\n"))
        )
        : RateLimiterKv.make
    }
  }
}

/** The rate limiter the configuration chooses (see `makeRateLimiter`), over `kv`. */
export const rateLimiterLayer = (
  choice: RateLimiterChoice,
  kv: Layer.Layer<Kv>
): Layer.Layer<RateLimiter, never, RateLimit.RateLimitRules> =>
  Layer.effect(RateLimiter, Effect.flatMap(RateLimit.RateLimitRules, ({ rules }) => makeRateLimiter(choice, rules))).pipe(
    Layer.provide(kv)
  )

/** What `servicesLayer` provides: every service a handler may use. */
export type Services =
  | Kv
  | SessionConfig
  | SessionStore
  | Auth
  | RateLimiter
  | Cache
  | Database
  | Mailer
  | Outbox
  | TrustedOrigins
  | RateLimit.RateLimitRules
  | Tracing

/**
 * Every service the HTTP layer needs, over the worker's bindings, built in one effect from each
 * implementation's `make`, in the order they depend on each other: each service is built once
 * and shared, as a graph of layers would have it (one `Kv` for the session store, the limiter and
 * the cache). Not a graph of layers because of what one costs where it is built, in an isolate's
 * first request: each layer its memoisation (a lock, a deferred, a scope, a diff of the fiber's
 * state) and `Layer.mergeAll` a fiber per layer, about a millisecond each while the code is
 * cold; the profile of a cold start put most of its time there.
 */
export const servicesLayer = (config: AppOptions): Layer.Layer<Services> =>
  Layer.scopedContext(Effect.gen(function*() {
    const rules = config.rateLimits === undefined
      ? Context.make(RateLimit.RateLimitRules, RateLimit.RateLimitRules.defaults)
      : yield* Layer.build(config.rateLimits)
    const base = Context.make(Kv, KvBinding.make(config.kv)).pipe(
      Context.add(SessionConfig, { ...SessionConfig.defaults, expiresIn: config.sessionExpiresIn, updateAge: config.sessionUpdateAge }),
      Context.add(Database, DatabaseD1.make(config.db)),
      Context.add(TrustedOrigins, TrustedOrigins.make({ baseURL: config.baseURL, origins: config.trustedOrigins })),
      Context.merge(rules)
    )
    const sessionIndex = yield* Effect.provide(SessionIndexD1.make, base)
    const sessionStore = yield* Effect.provide(SessionStoreKv.make, Context.add(base, SessionIndex, sessionIndex))
    const rateLimiter = yield* Effect.provide(
      makeRateLimiter(config.rateLimiter ?? { backend: "kv" }, Context.get(rules, RateLimit.RateLimitRules).rules),
      base
    )
    const guard = yield* Effect.provide(AuthGuardLive.make(), Context.add(base, RateLimiter, rateLimiter))
    const { mailer, outbox } = yield* mailerServices(config.mailer)
    const services = base.pipe(
      Context.add(SessionStore, sessionStore),
      Context.add(RateLimiter, rateLimiter),
      Context.add(Mailer, mailer),
      Context.add(Outbox, outbox)
    )
    const auth = yield* Effect.provide(
      BetterAuth.make,
      services.pipe(
        Context.add(AuthGuard, guard),
        Context.add(BetterAuth.BetterAuthConfig, {
          database: config.db,
          secret: config.secret,
          baseURL: config.baseURL,
          passkey: config.passkey,
          emailVerification: config.emailVerification,
          magicLinkSignUp: config.magicLinkSignUp,
          trustedOrigins: config.trustedOrigins
        })
      )
    )
    const cache = yield* Effect.provide(CacheKv.make, base)
    return services.pipe(
      Context.add(Auth, auth),
      Context.add(Cache, cache),
      Context.merge(config.tracing ? Context.make(Tracing, { enabled: true }) : Context.empty())
    ) as Context.Context<Services>
  }))

/**
 * The middleware, in one visible order, outermost first: request id, access log and JSON error
 * bodies on the way out; CORS (preflights answered here, never counted); rate limiting; input
 * errors in plain words. Then the router.
 */
export const middlewareLayer = HttpApiBuilder.middleware(
  Effect.map(
    Effect.all([Cors.make, RateLimit.make]),
    ([cors, rateLimit]) => (app: HttpApp.Default): HttpApp.Default<never, HttpServerRequest.HttpServerRequest> =>
      Observability.middleware(JsonErrors.toJsonError)(cors.middleware(rateLimit(JsonErrors.plainDecodeErrors(app))))
  ),
  { withContext: true }
)

export const apiLayer = (options: { readonly exposeMetrics: boolean; readonly mailer: MailerConfig }) =>
  OpenApiRoute.layer({ path: "/openapi.json" }).pipe(
    Layer.provideMerge(HttpApiBuilder.api(Api).pipe(Layer.provide([RoutesLive, middlewareLayer]))),
    Layer.provideMerge(options.exposeMetrics ? MetricsRouteLive : Layer.empty),
    Layer.provideMerge(options.mailer._tag === "Outbox" ? DevOutboxRouteLive : Layer.empty)
  )

/**
 * No per-request HTTP server span: with no tracer installed it only costs (URL parsing, header
 * redaction, span attributes). Installing an OpenTelemetry tracer? Drop this layer to get them back,
 * and set `tracing` for the services' own spans (SessionStore, RateLimiter, Cache, Auth).
 */
const withoutHttpSpans = Layer.scopedDiscard(Effect.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, () => true))

/** `Direct` over the runtime's services: the rate-limit rules and trusted origins it was built with. */
const makeDirect = (runtime: Runtime.Runtime<RateLimit.RateLimitRules | TrustedOrigins | Auth | SessionStore>) => {
  const { rules } = Context.get(runtime.context, RateLimit.RateLimitRules)
  const trusted = Context.get(runtime.context, TrustedOrigins)
  return Direct.make(runtime, Api, directHandlers, {
    rateLimited: (path) => RateLimit.matchRule(rules, RateLimit.normalizeEndpoint(path)) !== undefined,
    answerHeaders: Cors.answerHeaders(trusted),
    security: [{ tag: Authentication, provides: Authenticated, failure: Authentication.failure, run: authenticateAuthorization }]
  })
}

/**
 * A `fetch` handler for the whole worker. Every layer is synchronous, so the runtime is built at
 * once, inside the call that creates the handler, and no request ever awaits a promise another
 * request created.
 *
 * The router (the `HttpApi` app with its middleware and the OpenAPI route) is built by the first
 * request that needs it, in the same synchronous way: the direct routes and the auth routes answer
 * over the services alone, and building the router was half of a cold start's CPU. Everything that
 * can fail at start-up (the configuration, the rate limiter against its rules) is in the services,
 * built at once.
 */
export const makeWebHandler = (config: AppOptions) => {
  const scope = Effect.runSync(Scope.make())
  const build = <A>(layer: Layer.Layer<A>) => Effect.runSync(Scope.extend(Layer.toRuntime(layer), scope))
  const settings = Layer.mergeAll(Observability.loggerLayer, withoutHttpSpans, config.tracing ? Tracing.enabled : Layer.empty)
  const runtime = build(
    Layer.mergeAll(settings, BetterAuthRoutes.layer).pipe(
      Layer.provideMerge(servicesLayer(config).pipe(Layer.provide(Observability.loggerLayer)))
    )
  )
  let routed: ((request: Request, context?: Context.Context<BackgroundTasks>) => Promise<Response>) | undefined
  const handle = (request: Request, context?: Context.Context<BackgroundTasks>): Promise<Response> => {
    if (routed === undefined) {
      const routerRuntime = build(
        Layer.mergeAll(apiLayer(config), HttpServer.layerContext, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer, settings)
          .pipe(Layer.provideMerge(Layer.succeedContext(runtime.context)))
      )
      const app = Effect.runSync(Effect.provide(HttpApiBuilder.httpApp, routerRuntime))
      routed = HttpApp.toWebHandlerRuntime(routerRuntime)(isolated(app))
    }
    return routed(request, context)
  }
  const authRoutes = Context.get(runtime.context, BetterAuthRoutes)
  const maxBodyBytes = config.maxBodyBytes ?? defaultMaxBodyBytes
  const direct = config.direct === false ? Object.assign(() => undefined, { paths: [] }) : makeDirect(runtime)
  return {
    /** Answers `request`; background work (e.g. cache refreshes) is kept alive by `ctx.waitUntil`. */
    handler: (received: Request, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> => {
      const answer = (request: Request) =>
        authRoutes.matches(request.url)
          ? (config.direct === false ? runPromise(runtime, authRoutes.respond(request)) : authRoutes.answer(request, runtime))
          : handle(request, ctx ? Context.make(BackgroundTasks, BackgroundTasks.fromExecutionContext(ctx)) : undefined)
      // Most requests (GET, HEAD, OPTIONS) have no body: nothing to read, no promise to wait on.
      if (received.body === null) return direct(received, ctx) ?? answer(received)
      return bufferBody(received, maxBodyBytes).then((buffered) => {
        if (buffered._tag === "Buffered") return answer(buffered.request)
        const refused = refusal(buffered, maxBodyBytes, Observability.requestIdOf({ "cf-ray": received.headers.get("cf-ray") ?? undefined }))
        return received.headers.has("origin") ? runPromise(runtime, authRoutes.withCors(received, refused)) : refused
      })
    },
    /** The paths answered without the router (`GET`, spelled exactly so). */
    directPaths: direct.paths,
    dispose: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
