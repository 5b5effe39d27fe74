/**
 * A `Mailer` that sends nothing: it keeps each message, newest first, for `GET /dev/outbox` and for
 * tests to read. For local development and tests only.
 *
 * The outbox lives in the isolate's memory, not in KV: `wrangler dev` runs the worker in one
 * isolate, so every request sees the same outbox; nothing a developer reads is ever written to the
 * namespace that holds the sessions; and a restart empties it, like a fresh mailbox. It keeps the
 * latest `capacity` messages (100 by default), so a long session cannot grow it without bound.
 *
 * @module
 */
import { Clock, Context, Effect, Layer } from "effect"
import { linksIn, Mailer, Outbox } from "../services/Mailer.js"
import type { SentMail } from "../services/Mailer.js"

export const make = (capacity = 100) =>
  Effect.sync(() => {
    const kept: Array<SentMail> = []
    const mailer = Mailer.of({
      send: (mail) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            kept.unshift({
              to: mail.to,
              subject: mail.subject,
              text: mail.text,
              ...(mail.html === undefined ? {} : { html: mail.html }),
              links: linksIn(mail),
              sentAt: new Date(now).toISOString()
            })
            if (kept.length > capacity) kept.length = capacity
          }))
    })
    const outbox = Outbox.of({ messages: Effect.sync(() => kept.slice()) })
    return { mailer, outbox }
  })

/** The outbox as both the `Mailer` and the `Outbox` that reads it; a fresh, empty one each build. */
export const layerWith = (options: { readonly capacity?: number } = {}): Layer.Layer<Mailer | Outbox> =>
  Layer.effectContext(
    Effect.map(make(options.capacity), ({ mailer, outbox }) => Context.make(Mailer, mailer).pipe(Context.add(Outbox, outbox)))
  )

export const layer = layerWith()

/** An outbox that holds nothing, beside a mailer that keeps no copies (`GET /dev/outbox` lists none). */
export const empty: Layer.Layer<Outbox> = Layer.succeed(Outbox, { messages: Effect.succeed([]) })
