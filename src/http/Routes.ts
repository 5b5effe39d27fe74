/**
 * The handlers of the API, and Better Auth's routes mounted beside it.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Context, Effect, Layer, Runtime } from "effect"
import { Auth, AuthUnavailable, handlePlainOf } from "../services/Auth.js"
import { runPromise } from "../services/Isolated.js"
import { MailerError } from "../services/Mailer.js"
import { Tracing } from "../services/Tracing.js"
import { TrustedOrigins } from "../services/TrustedOrigins.js"
import { Authenticated } from "../services/CurrentUser.js"
import * as Action from "./Action.js"
import * as Actions from "./actions/index.js"
import { Api } from "./Api.js"
import { Authentication } from "./Authentication.js"
import * as Cors from "./Cors.js"
import * as Direct from "./Direct.js"
import { jsonError, reasons, toJsonError } from "./JsonErrors.js"
import * as Observability from "./Observability.js"
import * as RateLimit from "./RateLimit.js"

const healthy = Effect.succeed({ status: "ok" as const })

/** `GET /health`: one constant answer, which `Direct` encodes once. */
export const health = () => healthy

/** `GET /api/me`: the signed-in user and the session the request carries. */
export const me = () =>
  Effect.map(Authenticated, ({ session, user }) => ({
    user: { ...user, image: user.image ?? null },
    session: { id: session.id, expiresAt: session.expiresAt, createdAt: session.createdAt }
  }))

export const SystemLive = HttpApiBuilder.group(Api, "system", (handlers) => handlers.handle("health", health))

export const AccountLive = HttpApiBuilder.group(Api, "account", (handlers) => handlers.handle("me", me))

/**
 * Better Auth's response, handed to workerd as it is (no re-streaming of its body). Its headers are
 * mirrored, except `Set-Cookie`, which stays on the original, so middleware can read and add to them.
 */
const passThrough = (response: Response) => {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") headers[key] = value
  })
  return HttpServerResponse.raw(response, { status: response.status, headers })
}

/** Every action `actions/index.ts` exports: the same list the `actions` group is built from. */
export const ActionsLive = HttpApiBuilder.group(Api, "actions", (handlers) => Action.handleAll(handlers, Object.values(Actions)))

/** The same handlers, for the endpoints `Direct` answers without the router. */
export const directHandlers: ReadonlyArray<Direct.Handled> = [
  Direct.handled("system", "health", health),
  Direct.handled("account", "me", me),
  ...Object.values(Actions).map((action) => Direct.handled("actions", action.endpoint.name, action.handler))
]

/** Whether a JSON body holds a JSON object (Better Auth's `{ message, code }` or ours). */
const isJsonObject = (text: string) => {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null
  } catch {
    return false
  }
}

/**
 * Better Auth's answer as JSON whenever it is an error: its empty 404s (unknown or disabled
 * routes), its `application/json` answers with no body, and its HTML error page (a 400 here,
 * `{"error": <its code>}`). Its `{ message, code }` bodies pass through. Error bodies are small.
 * `undefined` when `response` is not an error (most answers): nothing to read, no promise.
 */
const jsonErrors = (request: Request, response: Response): Promise<Response> | undefined => {
  const type = response.headers.get("content-type") ?? ""
  const html = /text\/html/i.test(type)
  if (response.status < 400 && !html) return undefined
  return (async () => {
    if (!html && /json/i.test(type) && isJsonObject(await response.clone().text())) return response
    await response.body?.cancel().catch(() => undefined)
    const headers = new Headers(response.headers)
    headers.delete("content-type")
    headers.delete("content-length")
    headers.set("content-type", "application/json")
    const code = html ? new URL(request.url).searchParams.get("error") : null
    const error = html ? (code !== null && /^[A-Za-z0-9_-]{1,64}$/.test(code) ? code : "Error") : (reasons[response.status] ?? "Error")
    return new Response(JSON.stringify({ error }), { status: html ? 400 : response.status, headers })
  })()
}

/**
 * When Better Auth cannot answer, the client gets a 503. A mail that could not be sent was logged
 * where it failed; the client is told so, and when to try again.
 */
const authFailure = (error: AuthUnavailable | MailerError): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  error._tag === "AuthUnavailable"
    ? Effect.as(Effect.logError("auth provider unavailable", error.message), jsonError(503, "Service unavailable"))
    : Effect.succeed(jsonError(503, "Email could not be sent", error.reason === "Unavailable" ? { "retry-after": "60" } : {}))

/** Better Auth's answer to `request` (see `jsonErrors` and `authFailure`). */
const authRoute = (auth: Auth["Type"], request: Request) =>
  auth.handle(request).pipe(
    Effect.flatMap((response) => {
      const rewritten = jsonErrors(request, response)
      return rewritten === undefined ? Effect.succeed(response) : Effect.promise(() => rewritten)
    }),
    Effect.map(passThrough),
    Effect.catchAll(authFailure)
  )

/** The values `response` already has for the header names of `fields`. */
const pick = (headers: Readonly<Record<string, string>>, fields: Record<string, string>) => {
  const found: Record<string, string> = {}
  for (const name of Object.keys(fields)) if (headers[name] !== undefined) found[name] = headers[name]
  return found
}

/** Anything else that failed on an auth route: logged, answered 500 (with the limiter's headers). */
const routeFailed = (cause: Cause.Cause<unknown>) => Effect.as(Effect.logError("auth route failed", Cause.pretty(cause)), jsonError(500))

/** Better Auth's answer with the limiter's headers, merged with any of the same names it set. */
const withLimits = (response: HttpServerResponse.HttpServerResponse, limits: Record<string, string>) =>
  HttpServerResponse.setHeaders(response, RateLimit.mergeFields(limits, pick(response.headers, limits)))

/** Where Better Auth's routes live: every path under it is Better Auth's. */
export const authBasePath = "/api/auth"

/** A path under `authBasePath`, matched as the router matches: case and repeated slashes folded. */
const authPath = /^\/+api\/+auth\//i

/**
 * Better Auth's routes (`/api/auth/*`), answered beside the HttpApi app rather than through its
 * router. Better Auth routes and validates its own requests, and these routes are not part of the
 * typed API, so they skip the router, the API's middleware stack and the platform's request
 * handling, which cost more than Better Auth itself on a session read. What the rest of the API
 * gives every request they get too, from the same code: a request id in logs and `X-Request-Id`
 * (`Observability.answer`), the rate limits (`RateLimit.makeDecide`), JSON error bodies
 * (`JsonErrors.toJsonError`), and a 503 when Better Auth fails; anything else that fails is a
 * logged JSON 500 that still carries the limiter's headers and the request id.
 *
 * A request whose client goes away is finished, not interrupted: Better Auth's writes (a session,
 * an account) are not cut off halfway.
 */
export class BetterAuthRoutes extends Context.Tag("edge-auth-state/BetterAuthRoutes")<BetterAuthRoutes, {
  /** Whether `url` (absolute, as workerd gives it) is one of Better Auth's. */
  readonly matches: (url: string) => boolean
  /** The answer to `request`; never fails (a failure is a logged 500). */
  readonly respond: (request: Request) => Effect.Effect<Response>
  /**
   * The same answer, run from the worker's fetch handler on `runtime` (the worker's), as plain
   * promise code: the limiter's count and Better Auth's handler through their plain faces
   * (`PlainFace`), a fiber only to log. Preflights, and requests while the access log or tracing is
   * on, take `respond`.
   */
  readonly answer: (request: Request, runtime: Runtime.Runtime<never>) => Promise<Response>
  /**
   * `response`, given to `request` before any route ran (e.g. a body over the cap), with the CORS
   * headers the request's origin gets, so a trusted page can read why it was refused.
   */
  readonly withCors: (request: Request, response: Response) => Effect.Effect<Response>
}>() {
  static readonly layer = Layer.effect(
    BetterAuthRoutes,
    Effect.gen(function*() {
      const auth = yield* Auth
      const decide = yield* RateLimit.makeDecide
      const cors = yield* Cors.make
      const answerHeaders = Cors.answerHeaders(yield* TrustedOrigins)
      const answer = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.flatMap(decide(request), (verdict) => {
          if (verdict._tag === "Refused") return Effect.succeed(verdict.response)
          return authRoute(auth, request.source as Request).pipe(
            Effect.catchAllCause(routeFailed),
            Effect.map((response) => withLimits(response, verdict.headers))
          )
        })
      /**
       * A response as workerd takes it; one whose headers cannot be set is still a JSON 500 with its
       * id, and a line (`failure`) for the log.
       */
      const converted = (response: HttpServerResponse.HttpServerResponse, request: Request) => {
        try {
          return { web: HttpServerResponse.toWeb(response, { withoutBody: request.method === "HEAD" }), failure: undefined }
        } catch (error) {
          const requestId = response.headers["x-request-id"] ?? ""
          return {
            web: Response.json({ error: "Internal server error" }, { status: 500, headers: { "x-request-id": requestId } }),
            failure: Effect.logError("response not converted", { requestId, error: String(error) })
          }
        }
      }
      const toWeb = (response: HttpServerResponse.HttpServerResponse, request: Request) =>
        Effect.suspend(() => {
          const { failure, web } = converted(response, request)
          return failure === undefined ? Effect.succeed(web) : Effect.as(failure, web)
        })

      const respond = (request: Request) =>
        Effect.suspend(() => {
          const serverRequest = HttpServerRequest.fromWeb(request)
          const answered = Observability.answer(serverRequest, toJsonError, cors.around(serverRequest, answer(serverRequest)))
          return Effect.flatMap(answered, (response) => toWeb(response, request))
        })

      // The same answer as plain promise code, through the limiter's and Better Auth's plain faces
      // (`PlainFace`): no fiber unless something is logged.
      const decidePlain = yield* RateLimit.makeDecidePlain
      const handlePlain = handlePlainOf(auth)
      const answerPlain = async (request: Request, runtime: Runtime.Runtime<never>, requestId: string, headers: Record<string, string>) => {
        // The request's runtime (its id in every log line), made the first time something needs it.
        let made: Runtime.Runtime<never> | undefined
        const requestRuntime = () => (made ??= Runtime.setFiberRef(runtime, Observability.currentRequestId, requestId))
        const run = <A>(effect: Effect.Effect<A>) => runPromise(requestRuntime(), effect)
        const finish = (response: HttpServerResponse.HttpServerResponse) => {
          const { failure, web } = converted(HttpServerResponse.setHeaders(toJsonError(response), headers), request)
          return failure === undefined ? web : run(Effect.as(failure, web))
        }
        try {
          const verdict = await decidePlain(request, run)
          if (verdict._tag === "Refused") return await finish(verdict.response)
          let response: HttpServerResponse.HttpServerResponse
          try {
            const answered = await handlePlain(request, requestRuntime)
            response = passThrough(await (jsonErrors(request, answered) ?? answered))
          } catch (error) {
            response = await run(
              error instanceof AuthUnavailable || error instanceof MailerError
                ? authFailure(error)
                : routeFailed(Cause.die(error))
            )
          }
          return await finish(withLimits(response, verdict.headers))
        } catch (cause) {
          return run(Effect.logError("request failed", Cause.pretty(Cause.die(cause)))).then(() =>
            finish(HttpServerResponse.empty({ status: 500 }))
          )
        }
      }

      return {
        matches: (url) => authPath.test(RateLimit.pathOf(url)),
        respond,
        answer: (request, runtime) => {
          // The access log and tracing are written by the Effect path.
          if (request.method === "OPTIONS" || Observability.accessLogOn(runtime) || Context.get(runtime.context, Tracing).enabled) {
            return runPromise(runtime, respond(request))
          }
          const { headers, requestId } = answerHeaders(request.headers, request.url)
          return answerPlain(request, runtime, requestId, headers)
        },
        withCors: (request, response) =>
          Effect.suspend(() => {
            const serverRequest = HttpServerRequest.fromWeb(request)
            return Effect.map(cors.around(serverRequest, Effect.succeed(passThrough(response))), (answer) =>
              HttpServerResponse.toWeb(answer))
          }),
      }
    })
  )
}

/** `GET /metrics`: the counters as JSON. Mounted only when METRICS_ENABLED is "true". */
export const MetricsRouteLive = HttpApiBuilder.Router.use((router) =>
  router.get("/metrics", Effect.map(Observability.countersSnapshot, (counters) => HttpServerResponse.unsafeJson({ counters }))))

/** Every group's handlers, with the authentication middleware the protected groups declare. */
export const RoutesLive = Layer.mergeAll(SystemLive, AccountLive, ActionsLive).pipe(Layer.provide(Authentication.layer))
