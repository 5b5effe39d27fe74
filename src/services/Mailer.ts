/**
 * Sending email: magic links, password resets and address verification all go through `Mailer`,
 * so where mail goes (an outbox in development, a provider's API in production) is chosen once,
 * in the composition root, and never known by the code that sends it.
 *
 * @module
 */
import { Context, Effect, Schema } from "effect"

/** One message. `text` is required: every mail this project sends must read without HTML. */
export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html?: string
}

/**
 * A message was not sent. `reason`:
 * - `Unavailable`: the provider could not be reached, timed out, was rate limited or failed (5xx);
 *   trying again later may work.
 * - `Rejected`: the provider refused the message or the credentials (4xx); retrying will not help.
 */
export class MailerError extends Schema.TaggedError<MailerError>()("MailerError", {
  reason: Schema.Literal("Unavailable", "Rejected"),
  message: Schema.String
}) {}

export interface MailerService {
  readonly send: (mail: Mail) => Effect.Effect<void, MailerError>
  /**
   * Mail is turned off (`MAILER=none`): nothing is sent, and the routes that exist to send mail
   * (magic links, password resets, address verification) answer that they are off.
   */
  readonly disabled?: boolean
}

export class Mailer extends Context.Tag("edge-auth-state/Mailer")<Mailer, MailerService>() {}

/** A message the outbox kept, as `GET /dev/outbox` answers it. */
export const SentMail = Schema.Struct({
  to: Schema.String,
  subject: Schema.String,
  text: Schema.String,
  html: Schema.optional(Schema.String),
  /** Every URL in the message, in order of first appearance. */
  links: Schema.Array(Schema.String),
  /** ISO 8601, from Effect's `Clock`. */
  sentAt: Schema.String
})
export type SentMail = typeof SentMail.Type

/** The messages a development mailer kept instead of sending, newest first. */
export interface OutboxService {
  readonly messages: Effect.Effect<ReadonlyArray<SentMail>>
}

export class Outbox extends Context.Tag("edge-auth-state/Outbox")<Outbox, OutboxService>() {}

const urlPattern = /https?:\/\/[^\s<>"'`]+/g

const unescapeHtml = (text: string) =>
  text.replace(/&amp;/g, "&").replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")

/** Every URL in a message's text and HTML, without trailing punctuation, each once. */
export const linksIn = (mail: Mail): ReadonlyArray<string> => {
  const found = [
    ...mail.text.matchAll(urlPattern),
    ...(mail.html === undefined ? [] : unescapeHtml(mail.html).matchAll(urlPattern))
  ].map((match) => match[0].replace(/[.,;:!?)\]]+$/, ""))
  return [...new Set(found)]
}
