/**
 * This project's mailer: each mail is posted as JSON to the team's own mail service
 * (`MAIL_WEBHOOK_URL`, with the secret `MAIL_WEBHOOK_TOKEN` as a Bearer token). Its failures are
 * the `MailerError`s the library expects: `Unavailable` when trying later may work, else `Rejected`.
 */
import { Mailer, MailerError } from "edge-auth-state/services"
import type { Mail } from "edge-auth-state/services"
import { Effect, Layer } from "effect"

export const layer = (env: Env) =>
  Layer.succeed(Mailer, {
    send: (mail: Mail) =>
      Effect.tryPromise({
        try: () =>
          fetch(env.MAIL_WEBHOOK_URL, {
            method: "POST",
            headers: { authorization: `Bearer ${env.MAIL_WEBHOOK_TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify(mail)
          }),
        catch: (cause) => new MailerError({ reason: "Unavailable", message: `mail service unreachable: ${String(cause)}` })
      }).pipe(
        Effect.flatMap((response) =>
          response.ok
            ? Effect.void
            : Effect.fail(new MailerError({
              reason: response.status === 429 || response.status >= 500 ? "Unavailable" : "Rejected",
              message: `mail service answered ${response.status}`
            }))
        )
      )
  })
