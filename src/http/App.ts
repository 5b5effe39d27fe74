/**
 * The composition root: the one place that chooses a layer for every service, and the order of the
 * middleware every request passes through.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import { Effect, Exit, Layer, Scope } from "effect"
import type { BetterAuthPlugin } from "better-auth"
import * as BetterAuth from "../layers/BetterAuth.js"
import type { LibraryLoader } from "../layers/betterauth/Library.js"
import * as DatabaseD1 from "../layers/DatabaseD1.js"
import * as KvBinding from "../layers/KvBinding.js"
import * as MailerNone from "../layers/MailerNone.js"
import * as MailerOutbox from "../layers/MailerOutbox.js"
import * as MailerResend from "../layers/MailerResend.js"
import * as RateLimiterBinding from "../layers/RateLimiterBinding.js"
import * as RateLimiterDurableObject from "../layers/RateLimiterDurableObject.js"
import * as RateLimiterKv from "../layers/RateLimiterKv.js"
import * as Services from "../layers/Services.js"
import * as SessionRevocationsDurableObject from "../layers/SessionRevocationsDurableObject.js"
import type { Authenticated } from "../services/CurrentUser.js"
import type { Kv } from "../services/Kv.js"
import { Mailer, Outbox } from "../services/Mailer.js"
import { describePolicy, RateLimiter } from "../services/RateLimiter.js"
import type { RateLimiterService } from "../services/RateLimiter.js"
import { Tracing } from "../services/Tracing.js"
import { TrustedOrigins } from "../services/TrustedOrigins.js"
import type * as Action from "./Action.js"
import * as Api from "./Api.js"
import * as AttemptGuardRules from "./AttemptGuardRules.js"
import * as AuthRoute from "./AuthRoute.js"
import type { AppConfig, MailerConfig, RateLimiterChoice } from "./Config.js"
import * as DevOutbox from "./DevOutbox.js"
import { readableDecodeErrors, toJsonError } from "./ErrorResponses.js"
import * as Handlers from "./Handlers.js"
import * as BodyLimit from "./middleware/BodyLimit.js"
import * as Cors from "./middleware/Cors.js"
import * as RateLimit from "./middleware/RateLimit.js"
import * as RequestLog from "./middleware/RequestLog.js"
import * as OpenApiRoute from "./OpenApiRoute.js"
import * as WebHandler from "./WebHandler.js"
import { RateLimitRules, rulePolicies } from "./ratelimit/Rules.js"
import type { RateLimitRule, RateLimitSettings } from "./ratelimit/Rules.js"

/** Better Auth as a worker's code configures it (the rest comes from `env`). */
export interface BetterAuthOptions {
  /**
   * Loads Better Auth: `CoreLibrary.load`, or `Passkeys.load` for passkeys (`Worker.make` defaults
   * to the first); `OpenApiPlugin.withOpenApi(load)` adds the description of its routes in
   * `/openapi.json`. A loader of one's own says whether its library has the passkey plugin
   * (`LibraryLoader.passkeys`) and the `openAPI` plugin (`LibraryLoader.openApi`).
   */
  readonly load: LibraryLoader
  /** The name in mail subjects and texts, and the passkey relying party's name. */
  readonly appName?: string
  /**
   * More Better Auth plugins, after this project's. Their routes are under `/api/auth` (the `auth`
   * rule counts them per address; give a rule of their own for more); one must not need atomic
   * storage (`secondaryStorage.getAndDelete` or `increment`: KV has neither).
   */
  readonly plugins?: ReadonlyArray<BetterAuthPlugin>
}

export interface AppOptions<Actions extends ReadonlyArray<Action.Any> = ReadonlyArray<Action.Any>> extends AppConfig {
  /** The custom actions the worker serves, in its protected `actions` group. Default none. */
  readonly actions?: Actions
  /** The rate-limit rules and whether `X-Forwarded-For` is trusted; default `RateLimitRules.defaults`. */
  readonly rateLimits?: RateLimitSettings
  /** The mailer, when the configuration says `Given` (instead of `MAILER`). */
  readonly mailerLayer?: Layer.Layer<Mailer>
  readonly betterAuth: BetterAuthOptions
  /** Spans around service calls, for when a tracer is installed to export them (see `Tracing`). */
  readonly tracing?: boolean
}

/** The `Mailer` the configuration names; the outbox also provides the `Outbox` that reads it. */
export const mailerLayer = (config: MailerConfig, given?: Layer.Layer<Mailer>): Layer.Layer<Mailer | Outbox> => {
  switch (config._tag) {
    case "Given":
      if (given === undefined) throw new Error("the configuration names a given mailer, and the worker was made with none")
      return Layer.merge(given, MailerOutbox.empty)
    case "None":
      return MailerNone.layer
    case "Outbox":
      return MailerOutbox.layer
    case "Resend":
      return Layer.merge(MailerResend.layer({ from: config.from, apiKey: config.apiKey }), MailerOutbox.empty)
  }
}

/**
 * The rate limiter the configuration chooses, checked against the rules it will count: a policy
 * the backend cannot count stops the worker at start-up (building the runtime fails) with the
 * rule named, never a wrong count later.
 */
const makeRateLimiter = (choice: RateLimiterChoice, rules: ReadonlyArray<RateLimitRule>): Effect.Effect<RateLimiterService, never, Kv> => {
  switch (choice.backend) {
    case "durable-object":
      return Effect.sync(() => RateLimiterDurableObject.make(choice.namespace))
    case "binding": {
      const planned = RateLimiterBinding.plan(rulePolicies(rules), Object.fromEntries(choice.bindings))
      // Windows a binding cannot count (an hourly budget) are counted in KV.
      return planned._tag === "Left"
        ? Effect.die(new Error(planned.left.join("\n")))
        : Effect.map(RateLimiterKv.make, (longerWindows) => RateLimiterBinding.make(planned.right, longerWindows))
    }
    case "kv": {
      const sliding = rulePolicies(rules).filter(({ policy }) => policy.algorithm === "sliding-window")
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

/** The rate limiter the configuration chooses (see `makeRateLimiter`). */
export const rateLimiterLayer = (choice: RateLimiterChoice, rules: ReadonlyArray<RateLimitRule>): Layer.Layer<RateLimiter, never, Kv> =>
  Layer.effect(RateLimiter, makeRateLimiter(choice, rules))

/** The settings every request reads: the rules, the trusted origins, the mailer, tracing. */
export const settingsLayer = (options: Pick<AppOptions, "rateLimits" | "baseURL" | "trustedOrigins" | "mailer" | "mailerLayer" | "tracing">) =>
  Layer.mergeAll(
    Layer.succeed(RateLimitRules, options.rateLimits ?? RateLimitRules.defaults),
    TrustedOrigins.layer({ baseURL: options.baseURL, origins: options.trustedOrigins }),
    mailerLayer(options.mailer, options.mailerLayer),
    Layer.succeed(Tracing, { enabled: options.tracing === true })
  )

/** Every service a handler may use, over the worker's bindings, with Better Auth as the provider. */
export const servicesLayer = (options: AppOptions) => {
  const rules = options.rateLimits ?? RateLimitRules.defaults
  const services = Services.layer({
    kv: KvBinding.layer(options.kv),
    database: DatabaseD1.layer(options.db),
    rateLimiter: rateLimiterLayer(options.rateLimiter ?? { backend: "kv" }, rules.rules),
    sessionIndex: true,
    // SESSION_REVOCATION=immediate: every session read asks the revocations object too.
    ...(options.sessionRevocation?.mode === "immediate" ? { revocations: SessionRevocationsDurableObject.layer(options.sessionRevocation.namespace) } : {}),
    session: { expiresIn: options.sessionExpiresIn, updateAge: options.sessionUpdateAge }
  })
  const betterAuthConfig = Layer.succeed(BetterAuth.BetterAuthConfig, {
    database: options.db,
    secret: options.secret,
    baseURL: options.baseURL,
    passkey: options.passkey,
    emailVerification: options.emailVerification,
    magicLinkSignUp: options.magicLinkSignUp,
    trustedOrigins: options.trustedOrigins,
    ...(options.betterAuth.appName === undefined ? {} : { appName: options.betterAuth.appName }),
    ...(options.betterAuth.plugins === undefined ? {} : { plugins: options.betterAuth.plugins }),
    load: options.betterAuth.load
  })
  const auth = BetterAuth.layer.pipe(Layer.provide([betterAuthConfig, AttemptGuardRules.layer()]))
  return auth.pipe(Layer.provideMerge(Layer.merge(services, settingsLayer(options))))
}

/** What `servicesLayer` provides. */
export type AppServices = Layer.Layer.Success<ReturnType<typeof servicesLayer>>

/** Compiles only while the worker provides every service an action may require. */
type Holds<T extends true> = T
export type EveryActionServiceIsProvided = Holds<
  [Exclude<Action.ActionServices, AppServices | Authenticated | HttpRouter.HttpRouter.Provided>] extends [never] ? true : false
>

/**
 * The middleware, in one visible order, outermost first: failures answered and logged with the
 * request's id (given when its fiber starts, `WebHandler`; on the way out every answer is JSON when
 * it is an error, stamped with the id and logged, `RequestLog.finish`); CORS (preflights answered here, never counted); the body limit; the
 * rate limit per client address. Then the router: the API's endpoints (input errors made readable
 * before they are encoded, `apiMiddleware`), Better Auth's routes, the OpenAPI document and the
 * development routes.
 */
const withMiddleware = (maxBodyBytes: number) =>
  Effect.map(Effect.all([RequestLog.make(toJsonError), Cors.make, RateLimit.make]), ([log, cors, rateLimit]) => ({
    app: <R>(app: HttpApp.Default<never, R>) => log.middleware(cors(BodyLimit.middleware(maxBodyBytes)(rateLimit(app)))),
    finish: log.finish
  }))

/** Inside the router, where the API's errors are still values: input errors made readable. */
const apiMiddleware = HttpApiBuilder.middleware(readableDecodeErrors)

/** The routes: the API's endpoints, Better Auth's, the OpenAPI document and the development routes. */
const routesLayer = <Actions extends ReadonlyArray<Action.Any>>(options: HandlerOptions<Actions>) => {
  const actions = options.actions ?? ([] as unknown as Actions)
  const api = Api.make(actions)
  return Layer.mergeAll(
    AuthRoute.layer,
    OpenApiRoute.layer({ path: "/openapi.json" }),
    options.exposeMetrics ? Handlers.metricsRoute : Layer.empty,
    options.mailer._tag === "Outbox" ? DevOutbox.layer : Layer.empty
  ).pipe(Layer.provideMerge(HttpApiBuilder.api(api).pipe(Layer.provide([Handlers.layer(api, actions), apiMiddleware]))))
}

/**
 * No per-request HTTP server span: with no tracer installed it only costs (URL parsing, header
 * redaction, span attributes). Installing an OpenTelemetry tracer? Drop this layer to get them back,
 * and set `tracing` for the services' own spans.
 */
const withoutHttpSpans = Layer.scopedDiscard(Effect.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, () => true))

/** What the app is built from besides its services: its routes and how requests are read. */
export type HandlerOptions<Actions extends ReadonlyArray<Action.Any>> =
  & Pick<AppOptions<Actions>, "actions" | "exposeMetrics" | "mailer" | "maxBodyBytes">

/**
 * A `fetch` handler for the whole app over `services` (the worker's: `servicesLayer`; a test's:
 * `TestApp`). Every layer is synchronous, so the runtime is built at once, inside the call that
 * creates the handler, and no request ever awaits a promise another request created. Each request
 * is one fiber, on a scheduler of its own (`WebHandler`).
 */
export const handlerOver = <Actions extends ReadonlyArray<Action.Any>>(options: HandlerOptions<Actions>, services: Layer.Layer<AppServices>) => {
  const scope = Effect.runSync(Scope.make())
  const layer = Layer.mergeAll(routesLayer(options), withoutHttpSpans).pipe(
    Layer.provideMerge(Layer.mergeAll(HttpServer.layerContext, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)),
    Layer.provideMerge(services),
    Layer.provideMerge(RequestLog.loggerLayer)
  )
  // What the actions' handlers require was checked where each was made (`Action.make`: only the
  // services above), which their list's type no longer says.
  const complete = layer as Layer.Layer<Layer.Layer.Success<typeof layer>>
  const runtime = Effect.runSync(Scope.extend(Layer.toRuntime(complete), scope))
  const middleware = Effect.runSync(Effect.provide(withMiddleware(options.maxBodyBytes ?? BodyLimit.defaultMaxBodyBytes), runtime))
  const router = Effect.runSync(Effect.provide(HttpApiBuilder.httpApp, runtime))
  return {
    /** Answers `request`; background work (mail, cache refreshes) is kept alive by `ctx.waitUntil`. */
    handler: WebHandler.make(runtime, middleware.app(router), middleware.finish),
    dispose: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** The worker's `fetch` handler: the app over `servicesLayer(options)`. */
export const makeWebHandler = <Actions extends ReadonlyArray<Action.Any>>(options: AppOptions<Actions>) =>
  handlerOver(options, servicesLayer(options))
