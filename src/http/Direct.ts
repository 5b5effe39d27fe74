/**
 * Direct routes: the API's plain `GET` endpoints (no path parameters, no body, JSON out) answered
 * by one fiber that runs the endpoint's own handler, without the platform's router and middleware
 * stack in front of it. The profile of the worker under load put most of a `GET /api/me` in the
 * machinery around the handler (request conversion, router, middleware fibers, context copies),
 * not in the handler; this is the same work done once, in a straight line.
 *
 * Nothing about the API changes: endpoints, schemas and handlers are the ones the `HttpApi`
 * declares (so the OpenAPI document and the typed client are unchanged), and every request this
 * module does not take (another method or path spelling, a covered rate-limit rule, a group with
 * middleware other than authentication) goes through the platform's app as before. What each
 * taken request gets is what the platform's path gives it, in the same words:
 *
 * - the group's authentication middleware (a 401 or 503 before any input is decoded);
 * - the URL parameters decoded by the endpoint's schema (a 400 naming the field, as
 *   `JsonErrors.plainDecodeErrors` writes it);
 * - the handler, with `HttpServerRequest`, `ParsedSearchParams`, `RouteContext` and a `Scope`
 *   in context as the router gives them, and the request's `BackgroundTasks`;
 * - the success encoded by the endpoint's schema, its errors by theirs (status from their
 *   annotations), a defect logged and answered 500 JSON;
 * - `X-Request-Id` (and the id in every log line), and the CORS headers of a trusted origin.
 *
 * `test/http/Direct.workerd.test.ts` sends the same requests both ways and compares the answers.
 *
 * @module
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiError from "@effect/platform/HttpApiError"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { Runtime } from "effect"
import { Cause, Context, Effect, Either, Exit, FiberRef, FiberRefs, Option, ParseResult, Schema } from "effect"
import { BackgroundTasks } from "../services/BackgroundTasks.js"
import { runtimeFork } from "../services/Isolated.js"
import { plainDecodeError, reasons } from "./JsonErrors.js"
import * as Observability from "./Observability.js"

/** A handler of one endpoint, as `HttpApiBuilder.group`'s `handle` takes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = (request: any) => Effect.Effect<any, any, any>

/** An endpoint's handler, named by its group and endpoint. */
export interface Handled {
  readonly group: string
  readonly endpoint: string
  readonly handler: AnyHandler
}

export const handled = (group: string, endpoint: string, handler: AnyHandler): Handled => ({ group, endpoint, handler })

/**
 * A security middleware the direct path can run itself: its tag, and the effect that turns the
 * request's `Authorization` header into what the tag provides (or fails as the middleware does).
 */
export interface Security {
  /** The middleware's tag, as the group lists it. */
  readonly tag: unknown
  /** What it provides to the handler. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly provides: Context.Tag<any, any>
  /** What it fails with. */
  readonly failure: Schema.Schema.All
  readonly run: (authorization: string | undefined) => Effect.Effect<unknown, unknown, unknown>
}

export interface Options {
  /** Whether a path is counted by a rate-limit rule: such endpoints stay on the platform's path. */
  readonly rateLimited: (path: string) => boolean
  /** A request's id, and the headers of its answer: the id and the CORS headers (`Cors.answerHeaders`). */
  readonly answerHeaders: (headers: Headers, url: string) => { readonly requestId: string; readonly headers: Record<string, string> }
  readonly security: ReadonlyArray<Security>
}

interface Route {
  readonly endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  readonly route: HttpRouter.Route<unknown, unknown>
  readonly security: Security | undefined
  readonly decodeUrlParams: ((params: Record<string, string | Array<string>>) => Either.Either<unknown, ParseResult.ParseError>) | undefined
  readonly singleString: (key: string) => boolean
  readonly handler: AnyHandler
  readonly status: number
  readonly encodeSuccess: (value: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly errors: ReadonlyArray<Schema.Schema.Any>
}

/** Whether `ast` takes one string (the platform's rule for wrapping repeated URL parameters). */
const isSingleString = (ast: Schema.Schema.AnyNoContext["ast"], key?: string): boolean => {
  switch (ast._tag) {
    case "StringKeyword":
    case "Literal":
    case "TemplateLiteral":
    case "Enums":
      return true
    case "TypeLiteral": {
      if (key === undefined) return false
      const property = ast.propertySignatures.find((p) => p.name === key)
      return property !== undefined && isSingleString(property.type, key)
    }
    case "Union":
      return ast.types.some((type) => isSingleString(type, key))
    case "Suspend":
      return isSingleString(ast.f(), key)
    case "Refinement":
    case "Transformation":
      return isSingleString(ast.from, key)
    default:
      return false
  }
}

const schemasOf = (...schemas: ReadonlyArray<Schema.Schema.Any>): Array<Schema.Schema.Any> => {
  const found = new Set<Schema.Schema.Any>()
  for (const schema of schemas) HttpApiSchema.deunionize(found, schema)
  return Array.from(found)
}

const isJsonSchema = (schema: Schema.Schema.Any) =>
  !HttpApiSchema.isVoid(schema.ast) && HttpApiSchema.getEncoding(schema.ast).kind === "Json"

/**
 * The direct route of each endpoint that can have one. Anything the direct path could not do
 * exactly as the platform does leaves the endpoint to the platform.
 */
const routesOf = (api: HttpApi.HttpApi.Any, handlers: ReadonlyArray<Handled>, options: Options): Map<string, Route> => {
  const { errorSchema: apiErrors, groups, middlewares } = api as unknown as HttpApi.HttpApi.AnyWithProps
  const routes = new Map<string, Route>()
  if (middlewares.size > 0) return routes
  for (const group of Object.values(groups) as Array<HttpApiGroup.HttpApiGroup.AnyWithProps>) {
    const groupMiddleware = Array.from(group.middlewares)
    const security = groupMiddleware.length === 0
      ? undefined
      : groupMiddleware.length === 1
      ? options.security.find((s) => s.tag === groupMiddleware[0])
      : undefined
    if (groupMiddleware.length > 0 && security === undefined) continue
    for (const endpoint of Object.values(group.endpoints) as Array<HttpApiEndpoint.HttpApiEndpoint.AnyWithProps>) {
      const handler = handlers.find((h) => h.group === group.identifier && h.endpoint === endpoint.name)?.handler
      if (handler === undefined) continue
      if (endpoint.method !== "GET" || endpoint.middlewares.size > 0 || endpoint.path.includes(":") || endpoint.path.includes("*")) continue
      if (Option.isSome(endpoint.pathSchema) || Option.isSome(endpoint.payloadSchema) || Option.isSome(endpoint.headersSchema)) continue
      if (options.rateLimited(endpoint.path)) continue
      const successes = schemasOf(endpoint.successSchema)
      if (successes.length !== 1 || !isJsonSchema(successes[0]!)) continue
      const success = successes[0]!
      const urlParams = Option.getOrUndefined(endpoint.urlParamsSchema)
      routes.set(endpoint.path, {
        endpoint,
        route: HttpRouter.makeRoute("GET", endpoint.path as HttpRouter.PathInput, Effect.dieMessage("a direct route is not routed")),
        security,
        decodeUrlParams: urlParams && Schema.decodeUnknownEither(urlParams as Schema.Schema<unknown, unknown>),
        singleString: (key) => urlParams !== undefined && isSingleString(urlParams.ast, key),
        handler,
        status: HttpApiSchema.getStatusSuccessAST(success.ast),
        encodeSuccess: Schema.encodeUnknownEither(success as Schema.Schema<unknown, unknown>),
        errors: schemasOf(
          ...(security ? [security.failure as Schema.Schema.Any] : []),
          endpoint.errorSchema,
          group.errorSchema,
          apiErrors
        )
      })
    }
  }
  return routes
}

/** The path and query of an absolute URL as workerd gives it, without parsing the rest. */
const splitUrl = (url: string): { readonly path: string; readonly query: string } | undefined => {
  const scheme = url.indexOf("://")
  if (scheme < 0) return undefined
  const start = url.indexOf("/", scheme + 3)
  if (start < 0) return undefined
  const hash = url.indexOf("#", start)
  const end = hash < 0 ? url.length : hash
  const question = url.indexOf("?", start)
  return question < 0 || question > end
    ? { path: url.slice(start, end), query: "" }
    : { path: url.slice(start, question), query: url.slice(question + 1, end) }
}

/** URL parameters as the platform hands them to a schema: repeated keys, and array-typed ones, as arrays. */
const urlParamsOf = (query: string, singleString: (key: string) => boolean): Record<string, string | Array<string>> => {
  const params: Record<string, string | Array<string>> = {}
  if (query === "") return params
  const grouped = new Map<string, Array<string>>()
  for (const [key, value] of new URLSearchParams(query)) {
    const values = grouped.get(key)
    if (values === undefined) grouped.set(key, [value])
    else values.push(value)
  }
  for (const [key, values] of grouped) params[key] = values.length > 1 || !singleString(key) ? values : values[0]!
  return params
}

/** A JSON answer (workerd gives it its `Content-Length` on the wire, as the platform's has). */
const jsonResponse = (status: number, body: string, headers: Record<string, string>) => {
  headers["content-type"] = "application/json"
  return new Response(body, { status, headers })
}

/**
 * The direct path for `api`'s endpoints that have one, over `runtime` (which must hold every
 * service the handlers need): a function that answers a request, or returns `undefined` for the
 * platform's app to answer it.
 */
export const make = <R>(
  runtime: Runtime.Runtime<R>,
  api: HttpApi.HttpApi.Any,
  handlers: ReadonlyArray<Handled>,
  options: Options
) => {
  const routes = routesOf(api, handlers, options)

  /** An error the handler or the middleware failed with, as the platform encodes it; else a defect. */
  const encodeFailure = (route: Route, error: unknown): Option.Option<{ readonly status: number; readonly body: string }> => {
    for (const schema of route.errors) {
      const encoded = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)(error)
      if (Either.isRight(encoded)) {
        const status = HttpApiSchema.getStatusErrorAST(schema.ast)
        return Option.some(
          HttpApiSchema.isVoid(schema.ast)
            ? { status, body: JSON.stringify({ error: reasons[status] ?? "Error" }) }
            : { status, body: JSON.stringify(encoded.right) }
        )
      }
    }
    return Option.none()
  }

  const decodeError = (error: ParseResult.ParseError) => plainDecodeError(ParseResult.ArrayFormatter.formatErrorSync(error))

  /**
   * The JSON of a handler's answer that is a constant (`Effect.succeed` of a value made once, as
   * `/health`'s is), encoded the first time only.
   */
  const constants = new WeakMap<object, string>()

  /** The handler's success as the response the platform would write. */
  const succeededWith = (route: Route, exit: Exit.Success<unknown, unknown>, headers: Record<string, string>): Response => {
    const known = constants.get(exit)
    if (known !== undefined) return jsonResponse(route.status, known, headers)
    const value = exit.value
    if (!HttpServerResponse.isServerResponse(value)) {
      const encoded = route.encodeSuccess(value)
      if (Either.isRight(encoded)) {
        const body = JSON.stringify(encoded.right)
        constants.set(exit, body)
        return jsonResponse(route.status, body, headers)
      }
    }
    return succeeded(route, value, headers)
  }

  const succeeded = (route: Route, value: unknown, headers: Record<string, string>): Response => {
    if (HttpServerResponse.isServerResponse(value)) {
      return HttpServerResponse.toWeb(HttpServerResponse.setHeaders(value, headers), { runtime })
    }
    const encoded = route.encodeSuccess(value)
    if (Either.isRight(encoded)) return jsonResponse(route.status, JSON.stringify(encoded.right), headers)
    return defect(Cause.die(encoded.left), headers)
  }

  /** A defect, or a failure no schema declares: logged with the request's id, answered 500. */
  const defect = (cause: Cause.Cause<unknown>, headers: Record<string, string>): Response => {
    runtimeFork(runtime, Effect.logError("request failed", Cause.pretty(cause)), (refs, fiberId) =>
      FiberRefs.updateAs(refs, { fiberId, fiberRef: Observability.currentRequestId, value: headers["x-request-id"] }))
    return jsonResponse(500, JSON.stringify({ error: reasons[500] }), headers)
  }

  const failed = (route: Route, cause: Cause.Cause<unknown>, headers: Record<string, string>): Response => {
    const encoded = Option.flatMap(Cause.failureOption(cause), (error) => encodeFailure(route, error))
    return Option.isSome(encoded) ? jsonResponse(encoded.value.status, encoded.value.body, headers) : defect(cause, headers)
  }

  /** The answer to a request without a body, or `undefined` when it is the platform's to give. */
  const accessLog = Observability.accessLogOn(runtime)
  const answer = (request: Request, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> | undefined => {
    if (request.method !== "GET" || accessLog) return undefined
    // workerd makes a new string on every read of `url`: read once.
    const href = request.url
    const url = splitUrl(href)
    if (url === undefined) return undefined
    const route = routes.get(url.path)
    if (route === undefined) return undefined

    const requestHeaders = request.headers
    const { headers, requestId } = options.answerHeaders(requestHeaders, href)

    let serverRequest: HttpServerRequest.HttpServerRequest | undefined
    const serverRequestOf = () => (serverRequest ??= HttpServerRequest.fromWeb(request))
    const urlParams = urlParamsOf(url.query, route.singleString)
    // The platform's request, made only if the handler reads it. An accessor in a literal, not
    // `Object.defineProperty`: the latter was the hottest line of `/health` in workerd's profile.
    const input: Record<string, unknown> = {
      get request() {
        return serverRequestOf()
      }
    }
    let invalid: HttpApiError.HttpApiDecodeError | undefined
    if (route.decodeUrlParams !== undefined) {
      const decoded = route.decodeUrlParams(urlParams)
      if (Either.isLeft(decoded)) invalid = decodeError(decoded.left)
      else input.urlParams = decoded.right
    }

    let program: Effect.Effect<unknown, unknown, unknown>
    const security = route.security
    if (security === undefined) {
      if (invalid !== undefined) return Promise.resolve(failed(route, Cause.fail(invalid), headers))
      const handled = route.handler(input)
      // A handler that is a plain value (`Effect.succeed`) needs no fiber to be read.
      if (Exit.isExit(handled)) {
        return Promise.resolve(Exit.isSuccess(handled) ? succeededWith(route, handled, headers) : failed(route, handled.cause, headers))
      }
      program = Effect.scoped(handled)
    } else {
      // The middleware first: a request without a session is a 401 whatever its input.
      program = Effect.flatMap(security.run(requestHeaders.get("authorization") ?? undefined), (signedIn) =>
        invalid !== undefined
          ? Effect.fail(invalid)
          : Effect.scoped(Effect.provideService(route.handler(input), security.provides, signedIn)))
    }

    // What the router puts in a handler's context, and the request's background tasks, set with
    // its id as the fiber starts: one copy of the runtime's context per request.
    const services = new Map(runtime.context.unsafeMap)
    services.set(HttpServerRequest.HttpServerRequest.key, serverRequestOf())
    services.set(HttpServerRequest.ParsedSearchParams.key, urlParams)
    services.set(HttpRouter.RouteContext.key, { [HttpRouter.RouteContextTypeId]: HttpRouter.RouteContextTypeId, params: {}, route: route.route })
    if (ctx !== undefined) services.set(BackgroundTasks.key, BackgroundTasks.fromExecutionContext(ctx))
    const context = Context.unsafeMake(services)
    return new Promise((resolve) => {
      const fiber = runtimeFork(runtime as Runtime.Runtime<unknown>, program, (refs, fiberId) =>
        FiberRefs.updateAs(
          FiberRefs.updateAs(refs, { fiberId, fiberRef: FiberRef.currentContext, value: context }),
          { fiberId, fiberRef: Observability.currentRequestId, value: requestId }
        ))
      fiber.addObserver((exit) =>
        resolve(Exit.isSuccess(exit) ? succeeded(route, exit.value, headers) : failed(route, exit.cause, headers)))
    })
  }
  /** `answer`, and the paths it answers (`GET` only, spelled exactly so). */
  return Object.assign(answer, { paths: Array.from(routes.keys()) })
}

