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
import type { Auth } from "../services/Auth.js"
import type { SessionStore } from "../services/SessionStore.js"
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
import type { Kv } from "../services/Kv.js"
import { Mailer, Outbox } from "../services/Mailer.js"
import { describePolicy, RateLimiter } from "../services/RateLimiter.js"
import { SessionConfig } from "../services/SessionStore.js"
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
   * Answer the API's plain GET endpoints without the platform's router (`Direct`); on by default.
   * Off, every request goes through the router, as the comparison tests do.
   */
  readonly direct?: boolean
}

/** The `Mailer` the configuration names; the outbox also provides the `Outbox` that reads it. */
export const mailerLayer = (config: MailerConfig): Layer.Layer<Mailer | Outbox> =>
  config._tag === "Outbox"
    ? MailerOutbox.layer
    : Layer.merge(MailerResend.layer({ from: config.from, apiKey: config.apiKey }), Layer.succeed(Outbox, Outbox.of({ messages: Effect.succeed([]) })))

/**
 * The rate limiter the configuration chooses, checked against the rules it will count: a policy
 * the backend cannot count stops the worker at start-up (building the runtime fails) with the
 * rule named, never a wrong count later.
 */
export const rateLimiterLayer = (
  choice: RateLimiterChoice,
  kv: Layer.Layer<Kv>
): Layer.Layer<RateLimiter, never, RateLimit.RateLimitRules> => {
  switch (choice.backend) {
    case "durable-object":
      return RateLimiterDurableObject.layer(choice.namespace)
    case "binding":
      return Layer.unwrapEffect(Effect.map(RateLimit.RateLimitRules, ({ rules }) => {
        const planned = RateLimiterBinding.plan(RateLimit.rulePolicies(rules), Object.fromEntries(choice.bindings))
        return planned._tag === "Left"
          ? Layer.die(new Error(planned.left.join("\n")))
          : RateLimiterBinding.layer(planned.right)
      }))
    case "kv":
      return Layer.unwrapEffect(Effect.map(RateLimit.RateLimitRules, ({ rules }) => {
        const sliding = RateLimit.rulePolicies(rules).filter(({ policy }) => policy.algorithm === "sliding-window")
        return sliding.length > 0
          ? Layer.die(new Error(sliding.map(({ policy, rule }) =>
            `RATE_LIMIT_BACKEND=kv cannot count rule "${rule}" (${describePolicy(policy)}): KV counts fixed windows only; use RATE_LIMIT_BACKEND=durable-object`
          ).join("\n")))
          : RateLimiterKv.layer.pipe(Layer.provide(kv))
      }))
  }
}

/** Every service the HTTP layer needs, over the worker's bindings. */
export const servicesLayer = (config: AppOptions) => {
  const kv = KvBinding.layer(config.kv)
  const sessionConfig = SessionConfig.layer({ expiresIn: config.sessionExpiresIn, updateAge: config.sessionUpdateAge })
  const database = DatabaseD1.layer(config.db)
  const sessionIndex = SessionIndexD1.layer.pipe(Layer.provide(database))
  const sessionStore = SessionStoreKv.layer.pipe(Layer.provide([kv, sessionConfig, sessionIndex]))
  const rateLimitRules = config.rateLimits ?? RateLimit.RateLimitRules.layer()
  const rateLimiter = rateLimiterLayer(config.rateLimiter ?? { backend: "kv" }, kv).pipe(Layer.provide(rateLimitRules))
  const guard = AuthGuardLive.layer().pipe(Layer.provide([rateLimiter, rateLimitRules]))
  const mailer = mailerLayer(config.mailer)
  const auth = BetterAuth.layer.pipe(
    Layer.provide([sessionStore, sessionConfig, guard, mailer]),
    Layer.provide(Layer.succeed(BetterAuth.BetterAuthConfig, {
      database: config.db,
      secret: config.secret,
      baseURL: config.baseURL,
      passkey: config.passkey,
      emailVerification: config.emailVerification,
      magicLinkSignUp: config.magicLinkSignUp,
      trustedOrigins: config.trustedOrigins
    }))
  )
  const cache = CacheKv.layer.pipe(Layer.provide(kv))
  const trustedOrigins = TrustedOrigins.layer({ baseURL: config.baseURL, origins: config.trustedOrigins })
  return Layer.mergeAll(
    config.tracing ? Tracing.enabled : Layer.empty,
    kv,
    sessionConfig,
    sessionStore,
    auth,
    rateLimiter,
    cache,
    database,
    mailer,
    trustedOrigins,
    rateLimitRules
  )
}

/** The API with its handlers and middleware. */
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
  HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }).pipe(
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
    corsHeaders: Cors.simpleHeaders(trusted),
    security: [{ tag: Authentication, provides: Authenticated, failure: Authentication.failure, run: authenticateAuthorization }]
  })
}

/**
 * A `fetch` handler for the whole worker. Every layer is synchronous, so the runtime is built at
 * once, inside the call that creates the handler, and no request ever awaits a promise another
 * request created.
 */
export const makeWebHandler = (config: AppOptions) => {
  const scope = Effect.runSync(Scope.make())
  const layer = Layer.mergeAll(
    apiLayer(config),
    HttpServer.layerContext,
    HttpApiBuilder.Router.Live,
    HttpApiBuilder.Middleware.layer,
    Observability.loggerLayer,
    withoutHttpSpans,
    BetterAuthRoutes.layer,
    config.tracing ? Tracing.enabled : Layer.empty
  ).pipe(Layer.provideMerge(servicesLayer(config).pipe(Layer.provide(Observability.loggerLayer))))
  const runtime = Effect.runSync(Scope.extend(Layer.toRuntime(layer), scope))
  const app = Effect.runSync(Effect.provide(HttpApiBuilder.httpApp, runtime))
  const handle = HttpApp.toWebHandlerRuntime(runtime)(isolated(app))
  const authRoutes = Context.get(runtime.context, BetterAuthRoutes)
  const maxBodyBytes = config.maxBodyBytes ?? defaultMaxBodyBytes
  const direct = config.direct === false ? Object.assign(() => undefined, { paths: [] }) : makeDirect(runtime)
  return {
    /** Answers `request`; background work (e.g. cache refreshes) is kept alive by `ctx.waitUntil`. */
    handler: (received: Request, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> => {
      const answer = (request: Request) =>
        authRoutes.matches(request.url)
          ? runPromise(runtime, authRoutes.respond(request))
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
