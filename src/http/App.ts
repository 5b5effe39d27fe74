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
import * as BetterAuth from "../layers/BetterAuth.js"
import * as CacheKv from "../layers/CacheKv.js"
import * as DatabaseD1 from "../layers/DatabaseD1.js"
import * as KvBinding from "../layers/KvBinding.js"
import * as RateLimiterKv from "../layers/RateLimiterKv.js"
import * as SessionIndexD1 from "../layers/SessionIndexD1.js"
import * as SessionStoreKv from "../layers/SessionStoreKv.js"
import { BackgroundTasks } from "../services/BackgroundTasks.js"
import { SessionConfig } from "../services/SessionStore.js"
import { Tracing } from "../services/Tracing.js"
import { Api } from "./Api.js"
import type { AppConfig } from "./Config.js"
import { isolated, runPromise } from "../services/Isolated.js"
import * as AuthGuardLive from "./AuthGuardLive.js"
import { bufferBody, defaultMaxBodyBytes, refusal } from "./BodyLimit.js"
import * as JsonErrors from "./JsonErrors.js"
import * as Observability from "./Observability.js"
import * as RateLimit from "./RateLimit.js"
import { BetterAuthRoutes, MetricsRouteLive, RoutesLive } from "./Routes.js"

export interface AppOptions extends AppConfig {
  /** Replaces the default rate-limit rules (`RateLimit.RateLimitRules.layer({...})`). */
  readonly rateLimits?: Layer.Layer<RateLimit.RateLimitRules>
  /** The largest request body read, in bytes (default 64 KiB); a larger one is a 413. */
  readonly maxBodyBytes?: number
  /** Spans around service calls, for when a tracer is installed to export them (see `Tracing`). */
  readonly tracing?: boolean
}

/** Every service the HTTP layer needs, over the worker's bindings. */
export const servicesLayer = (config: AppOptions) => {
  const kv = KvBinding.layer(config.kv)
  const sessionConfig = SessionConfig.layer({ expiresIn: config.sessionExpiresIn, updateAge: config.sessionUpdateAge })
  const database = DatabaseD1.layer(config.db)
  const sessionIndex = SessionIndexD1.layer.pipe(Layer.provide(database))
  const sessionStore = SessionStoreKv.layer.pipe(Layer.provide([kv, sessionConfig, sessionIndex]))
  const rateLimiter = RateLimiterKv.layer.pipe(Layer.provide(kv))
  const rateLimitRules = config.rateLimits ?? RateLimit.RateLimitRules.layer()
  const guard = AuthGuardLive.layer().pipe(Layer.provide([rateLimiter, rateLimitRules]))
  const auth = BetterAuth.layer.pipe(
    Layer.provide([sessionStore, sessionConfig, guard]),
    Layer.provide(Layer.succeed(BetterAuth.BetterAuthConfig, {
      database: config.db,
      secret: config.secret,
      baseURL: config.baseURL
    }))
  )
  const cache = CacheKv.layer.pipe(Layer.provide(kv))
  return Layer.mergeAll(
    config.tracing ? Tracing.enabled : Layer.empty,
    kv,
    sessionConfig,
    sessionStore,
    auth,
    rateLimiter,
    cache,
    database,
    rateLimitRules
  )
}

/** The API with its handlers and middleware. */
/**
 * The middleware, in one visible order, outermost first: request id, access log and JSON error
 * bodies on the way out; rate limiting; input errors in plain words. Then the router.
 */
export const middlewareLayer = HttpApiBuilder.middleware(
  Effect.map(
    RateLimit.make,
    (rateLimit) => (app: HttpApp.Default): HttpApp.Default<never, HttpServerRequest.HttpServerRequest> =>
      Observability.middleware(JsonErrors.toJsonError)(rateLimit(JsonErrors.plainDecodeErrors(app)))
  ),
  { withContext: true }
)

export const apiLayer = (options: { readonly exposeMetrics: boolean }) =>
  HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }).pipe(
    Layer.provideMerge(HttpApiBuilder.api(Api).pipe(Layer.provide([RoutesLive, middlewareLayer]))),
    Layer.provideMerge(options.exposeMetrics ? MetricsRouteLive : Layer.empty)
  )

/**
 * No per-request HTTP server span: with no tracer installed it only costs (URL parsing, header
 * redaction, span attributes). Installing an OpenTelemetry tracer? Drop this layer to get them back,
 * and set `tracing` for the services' own spans (SessionStore, RateLimiter, Cache, Auth).
 */
const withoutHttpSpans = Layer.scopedDiscard(Effect.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, () => true))

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
  ).pipe(Layer.provide(servicesLayer(config).pipe(Layer.provide(Observability.loggerLayer))))
  const runtime = Effect.runSync(Scope.extend(Layer.toRuntime(layer), scope))
  const app = Effect.runSync(Effect.provide(HttpApiBuilder.httpApp, runtime))
  const handle = HttpApp.toWebHandlerRuntime(runtime)(isolated(app))
  const authRoutes = Context.get(runtime.context, BetterAuthRoutes)
  const maxBodyBytes = config.maxBodyBytes ?? defaultMaxBodyBytes
  return {
    /** Answers `request`; background work (e.g. cache refreshes) is kept alive by `ctx.waitUntil`. */
    handler: async (received: Request, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> => {
      const buffered = await bufferBody(received, maxBodyBytes)
      if (buffered._tag !== "Buffered") {
        return refusal(buffered, maxBodyBytes, Observability.requestIdOf({ "cf-ray": received.headers.get("cf-ray") ?? undefined }))
      }
      const request = buffered.request
      return authRoutes.matches(request.url)
        ? runPromise(runtime, authRoutes.respond(request))
        : handle(request, ctx ? Context.make(BackgroundTasks, BackgroundTasks.fromExecutionContext(ctx)) : undefined)
    },
    dispose: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
