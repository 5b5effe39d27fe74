/**
 * Mail turned off (`MAILER=none`): a `Mailer` that sends nothing and says so (`disabled`), so the
 * routes that exist to send mail answer 503 `MAIL_DISABLED` before they do anything
 * (`AttemptGuardRules`), and a mail Better Auth would send on the side (the notice to a taken
 * address's owner) is simply not sent.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import { Mailer } from "../services/Mailer.js"
import type { Outbox } from "../services/Mailer.js"
import * as MailerOutbox from "./MailerOutbox.js"

export const mailer = Mailer.of({ send: () => Effect.void, disabled: true })

export const layer: Layer.Layer<Mailer | Outbox> = Layer.merge(Layer.succeed(Mailer, mailer), MailerOutbox.empty)
