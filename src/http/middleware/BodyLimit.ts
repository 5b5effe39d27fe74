/**
 * Bounded request bodies. A body is read into memory once, up to a cap, before anything parses
 * it: a larger one is refused whether or not it declared its length (a chunked body is counted as
 * it arrives and cut off at the cap). Parsers downstream (Better Auth, the API's schemas) then read
 * the buffered copy, so what every stage sees is the same bytes.
 *
 * @module
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { jsonError } from "../ErrorResponses.js"

/** 64 KiB: far above any auth or action body, far below what would strain an isolate. */
export const defaultMaxBodyBytes = 64 * 1024

/**
 * Reads and discards the rest of a body, so the answer goes out after the request has been
 * received: answering mid-upload makes `wrangler dev`'s proxy (and some clients) report a broken
 * connection instead of the 413. Nothing is kept, so memory stays flat; past `drainLimit` bytes the
 * stream is cancelled instead.
 */
const drain = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
  let drained = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      drained += value.byteLength
      if (drained > drainLimit) return await reader.cancel()
    }
  } catch {
    // The client went away: nothing to answer.
  }
}

/**
 * The most a refused body is read (and discarded) before its stream is cancelled: Cloudflare's own
 * request size limit on most plans, above which its edge answers 413 before the worker runs.
 */
const drainLimit = 100 * 1024 * 1024

export type Buffered =
  | { readonly _tag: "Buffered"; readonly request: Request }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Unreadable" }

/** `request` with its body read into memory, or why it could not be. */
export const bufferBody = async (request: Request, maxBytes: number): Promise<Buffered> => {
  if (request.body === null) return { _tag: "Buffered", request }
  const declared = request.headers.get("content-length")
  const reader = request.body.getReader()
  if (declared !== null && Number(declared) > maxBytes) {
    // Nothing of it is kept; it is only let through (up to `drainLimit`), see `drain`.
    await (Number(declared) > drainLimit ? reader.cancel().catch(() => undefined) : drain(reader))
    return { _tag: "TooLarge" }
  }
  const chunks: Array<Uint8Array> = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await drain(reader)
        return { _tag: "TooLarge" }
      }
      chunks.push(value)
    }
  } catch {
    return { _tag: "Unreadable" }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  const headers = new Headers(request.headers)
  headers.delete("transfer-encoding")
  headers.set("content-length", String(size))
  return {
    _tag: "Buffered",
    request: new Request(request.url, { method: request.method, headers, body: bytes, redirect: request.redirect, signal: request.signal })
  }
}

/** The answer to a body over the cap, or one that could not be read. */
const refusal = (buffered: Exclude<Buffered, { _tag: "Buffered" }>, maxBytes: number) =>
  buffered._tag === "TooLarge"
    ? HttpServerResponse.unsafeJson({ error: "Payload too large", maxBytes }, { status: 413 })
    : jsonError(400)

/**
 * The middleware: a request with a body reaches `app` with the body buffered (every stage after it
 * reads the same bytes), or is answered 413 (over `maxBytes`) or 400 (unreadable) without reaching it.
 */
export const middleware = (maxBytes: number) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const source = request.source
    if (!(source instanceof Request) || source.body === null) return app
    return Effect.flatMap(Effect.promise(() => bufferBody(source, maxBytes)), (buffered) =>
      buffered._tag === "Buffered"
        ? Effect.provideService(app, HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(buffered.request))
        : Effect.succeed(refusal(buffered, maxBytes)))
  })
