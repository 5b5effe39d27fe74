/**
 * A `Mailer` over Resend's HTTP API (`POST https://api.resend.com/emails`, Bearer API key): one
 * `fetch` per message, which Workers can make from any request without a library.
 *
 * The provider's answer decides the failure: a network error, a timeout, 429 or a 5xx is
 * `Unavailable` (worth retrying later); any other refusal (a bad key, an unverified sender domain,
 * an invalid recipient) is `Rejected`. The API key never appears in an error.
 *
 * @module
 */
import { Duration, Effect, Layer, Redacted } from "effect"
import { Mailer, MailerError } from "../services/Mailer.js"
import type { Mail } from "../services/Mailer.js"

export interface ResendConfig {
  /** The sender, e.g. `Example <auth@example.com>`; its domain must be verified with Resend. */
  readonly from: string
  readonly apiKey: Redacted.Redacted<string>
  /** Default `https://api.resend.com/emails`. */
  readonly endpoint?: string
  /** How long one send may take before it counts as `Unavailable`. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput
  /** The `fetch` to send with; default the global one (the Worker's outbound fetch). */
  readonly fetch?: typeof globalThis.fetch
}

export const defaultEndpoint = "https://api.resend.com/emails"

/** The provider's own explanation, if its error body has one, kept short for logs. */
const providerMessage = (body: string): string => {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message
    if (typeof message === "string") return message.slice(0, 200)
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200)
}

export const make = (config: ResendConfig) => {
  const endpoint = config.endpoint ?? defaultEndpoint
  const timeout = Duration.decode(config.timeout ?? Duration.seconds(10))
  const post = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
  const send = (mail: Mail) =>
    Effect.tryPromise({
      try: (signal) =>
        post(endpoint, {
          method: "POST",
          headers: { authorization: `Bearer ${Redacted.value(config.apiKey)}`, "content-type": "application/json" },
          body: JSON.stringify({
            from: config.from,
            to: [mail.to],
            subject: mail.subject,
            text: mail.text,
            ...(mail.html === undefined ? {} : { html: mail.html })
          }),
          signal
        }).then(async (response) => ({ status: response.status, body: await response.text() })),
      catch: (cause) => new MailerError({ reason: "Unavailable", message: `mail provider unreachable: ${String(cause)}` })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new MailerError({ reason: "Unavailable", message: `mail provider did not answer within ${Duration.format(timeout)}` })
      }),
      Effect.flatMap(({ body, status }) => {
        if (status >= 200 && status < 300) return Effect.void
        const reason = status === 429 || status >= 500 ? "Unavailable" : "Rejected"
        return Effect.fail(new MailerError({ reason, message: `mail provider answered ${status}: ${providerMessage(body)}` }))
      })
    )
  return Mailer.of({ send })
}

export const layer = (config: ResendConfig): Layer.Layer<Mailer> => Layer.succeed(Mailer, make(config))
