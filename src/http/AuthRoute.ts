/**
 * Better Auth's routes, `/api/auth/*` (`authBasePath`), mounted on the worker's router beside the
 * typed API: every request to them passes through the same middleware as the API's (request id,
 * CORS, body limit, rate limit), then reaches the auth provider.
 *
 * What Better Auth answers passes through as it is, but for two things: every error is JSON (its
 * empty 404s and its HTML error page are rewritten), and when the provider cannot answer (its
 * database or storage down) the client gets a logged 503.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { authBasePath, AuthProvider } from "../services/AuthProvider.js"
import type { AuthUnavailable } from "../services/AuthProvider.js"
import { jsonError, reasons } from "./ErrorResponses.js"

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
 */
const asJsonError = (request: Request, response: Response): Effect.Effect<Response> => {
  const type = response.headers.get("content-type") ?? ""
  const html = /text\/html/i.test(type)
  if (response.status < 400 && !html) return Effect.succeed(response)
  return Effect.promise(async () => {
    if (!html && /json/i.test(type) && isJsonObject(await response.clone().text())) return response
    await response.body?.cancel().catch(() => undefined)
    const headers = new Headers(response.headers)
    headers.delete("content-type")
    headers.delete("content-length")
    headers.set("content-type", "application/json")
    const code = html ? new URL(request.url).searchParams.get("error") : null
    const error = html ? (code !== null && /^[A-Za-z0-9_-]{1,64}$/.test(code) ? code : "Error") : (reasons[response.status] ?? "Error")
    return new Response(JSON.stringify({ error }), { status: html ? 400 : response.status, headers })
  })
}

/** When Better Auth cannot answer, the client gets a 503 and the reason goes to the log. */
const unavailable = (error: AuthUnavailable) =>
  Effect.as(Effect.logError("auth provider unavailable", error.message), jsonError(503, "Service unavailable"))

/** The answer to a request under `authBasePath`, from `auth`. */
export const respond = (auth: AuthProvider["Type"]) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, ({ source }) => {
    const request = source as Request
    return auth.handle(request).pipe(
      Effect.flatMap((response) => asJsonError(request, response)),
      Effect.map(passThrough),
      Effect.catchTag("AuthUnavailable", unavailable)
    )
  })

/**
 * The routes, every method. A request whose client goes away is finished, not interrupted: Better
 * Auth's writes (a session, an account) are not cut off halfway.
 */
export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(AuthProvider, (auth) => router.all(`${authBasePath}/*`, Effect.uninterruptible(respond(auth)))))
