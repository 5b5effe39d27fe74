/**
 * `GET /dev/outbox`: the mail the outbox mailer kept, newest first, as JSON
 * `[{ to, subject, text, links, sentAt }]`; `?to=<address>` keeps one recipient's. Mounted by the
 * composition root only when the outbox is the configured mailer (local development), so a
 * deployed worker has no such route; and it answers a request sent to a loopback host only (404
 * otherwise), so a page that rebinds its own DNS name to 127.0.0.1 cannot read the mail.
 *
 * @module
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { Outbox } from "../services/Mailer.js"
import { isLoopback } from "../services/TrustedOrigins.js"
import { jsonError } from "./ErrorResponses.js"

export const path = "/dev/outbox"

export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(Outbox, (outbox) =>
    router.get(
      path,
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!isLoopback(request.originalUrl)) return jsonError(404)
        const to = new URL(request.url, "http://localhost").searchParams.get("to")?.trim().toLowerCase()
        const messages = yield* outbox.messages
        const listed = to === undefined || to === "" ? messages : messages.filter((m) => m.to.toLowerCase() === to)
        return HttpServerResponse.unsafeJson(
          listed.map(({ links, sentAt, subject, text, to }) => ({ to, subject, text, links, sentAt })),
          { headers: { "cache-control": "no-store" } }
        )
      })
    )))
