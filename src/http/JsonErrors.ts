/**
 * Every error answer is JSON. A response that the router, the platform or a library produced with
 * an empty or non-JSON error body (a 404 for an unknown route, a 500 for a defect) is rewritten to
 * `{ "error": <reason phrase> }`, keeping its status and headers.
 *
 * @module
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

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

