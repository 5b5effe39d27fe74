/**
 * Every error answer is JSON. A response that the router, the platform or a library produced with
 * an empty or non-JSON error body (a 404 for an unknown route, a 500 for a defect) is rewritten to
 * `{ "error": <reason phrase> }`, keeping its status and headers.
 *
 * @module
 */
import * as HttpApiError from "@effect/platform/HttpApiError"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"

export const reasons: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  408: "Request timeout",
  411: "Length required",
  413: "Payload too large",
  414: "URI too long",
  415: "Unsupported media type",
  422: "Unprocessable content",
  429: "Too many requests",
  431: "Request header fields too large",
  500: "Internal server error",
  503: "Service unavailable"
}

export const jsonError = (status: number, error?: string, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson({ error: error ?? reasons[status] ?? "Error" }, { status, ...(headers ? { headers } : {}) })

const isJson = (response: HttpServerResponse.HttpServerResponse) => {
  const type = response.body._tag === "Empty" ? undefined : response.body.contentType ?? response.headers["content-type"]
  return type !== undefined && /json/i.test(type)
}

const withoutBodyHeaders = (response: HttpServerResponse.HttpServerResponse): Record<string, string> => {
  const { "content-length": _length, "content-type": _type, ...rest } = response.headers
  return rest
}

/** The JSON form of an error response; other responses pass through. */
export const toJsonError = (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
  response.status >= 400 && !isJson(response) ? jsonError(response.status, undefined, withoutBodyHeaders(response)) : response

/**
 * One line per bad field: `days: must be a whole number from 1 to 90`. The first issue of
 * each field is enough to fix the request; the full list stays in `issues`.
 */
export const describeIssues = (issues: ReadonlyArray<typeof HttpApiError.Issue.Type>): string => {
  const byField = new Map<string, string>()
  for (const issue of issues) {
    const field = issue.path.map(String).join(".")
    if (!byField.has(field)) byField.set(field, issue.message)
  }
  const lines = Array.from(byField, ([field, message]) => (field === "" ? message : `${field}: ${message}`))
  return lines.length === 0 ? "The request does not match the endpoint's schema" : lines.join("; ")
}

/** The platform's decode error, its `message` readable (`describeIssues`). */
export const readableDecodeError = (issues: ReadonlyArray<typeof HttpApiError.Issue.Type>) =>
  new HttpApiError.HttpApiDecodeError({ issues, message: describeIssues(issues) })

/**
 * A 400 for input that does not decode says which field is wrong, readably (its `message`), instead
 * of the schema tree the platform writes there. Its shape stays the platform's `HttpApiDecodeError`,
 * so typed clients still decode it.
 */
export const readableDecodeErrors = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.catchIf(
    app,
    (error): error is E & HttpApiError.HttpApiDecodeError => error instanceof HttpApiError.HttpApiDecodeError,
    (error) => Effect.fail(readableDecodeError(error.issues) as E)
  )
