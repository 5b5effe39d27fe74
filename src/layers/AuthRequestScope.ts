/**
 * What Better Auth's callbacks record about the request they run in. Better Auth calls them from
 * promise code in the middle of a request; through this scope they still act as part of it:
 * - a mail is sent on the request's runtime (so its log lines carry the request id), and a failed
 *   one is recorded, so the HTTP layer can tell it from any other 5xx and answer it as one;
 * - a passkey registration that passed verification is recorded, so a 500 after it is known to be
 *   the server's failure, and a 500 without it the client's (see `BetterAuth`).
 *
 * @module
 */
import type { APIError } from "better-auth/api"
import { Effect } from "effect"
import type { Runtime } from "effect"
import { AsyncLocalStorage } from "node:async_hooks"
import { runPromise } from "../services/Isolated.js"
import { MailerError } from "../services/Mailer.js"
import type { Mail, MailerService } from "../services/Mailer.js"

interface RequestScope {
  /** The request's runtime, made when first asked for (most requests send no mail). */
  readonly runtime: () => Runtime.Runtime<never>
  mailFailure: MailerError | undefined
  passkeyVerified: boolean
}

const scopes = new AsyncLocalStorage<RequestScope>()

/** Runs `handle` (Better Auth's handler for one request) with `runtime()` as the runtime of its mail. */
export const withinRequest = async <A>(
  runtime: () => Runtime.Runtime<never>,
  handle: () => Promise<A>
): Promise<{ readonly result: A; readonly mailFailure: MailerError | undefined; readonly passkeyVerified: boolean }> => {
  const scope: RequestScope = { runtime, mailFailure: undefined, passkeyVerified: false }
  const result = await scopes.run(scope, handle)
  return { result, mailFailure: scope.mailFailure, passkeyVerified: scope.passkeyVerified }
}

/** Records that the current request's passkey registration passed WebAuthn verification. */
export const markPasskeyVerified = (): void => {
  const scope = scopes.getStore()
  if (scope !== undefined) scope.passkeyVerified = true
}

/**
 * A send function for Better Auth's callbacks. A failure is logged (reason, provider message,
 * subject and the recipient's domain; never the address) and rethrown as Better Auth's own 503, so
 * Better Auth stops where it would on any failed step. Where Better Auth sends in the background
 * (a password-reset request, which must answer the same whether or not the account exists), it
 * catches that and answers as usual: the log line is then the only trace, on purpose.
 */
export const makeSender = (
  mailer: MailerService,
  fallback: Runtime.Runtime<never>,
  /** Better Auth's `APIError` (from `BetterAuthLibrary`, loaded with Better Auth). */
  apiError: typeof APIError
) =>
(mail: Mail): Promise<void> => {
  const scope = scopes.getStore()
  const send = mailer.send(mail).pipe(
    Effect.tapError((error) =>
      Effect.logError("mail not sent", {
        reason: error.reason,
        message: error.message,
        subject: mail.subject,
        recipientDomain: mail.to.slice(mail.to.lastIndexOf("@") + 1)
      })
    )
  )
  return runPromise(scope?.runtime() ?? fallback, send).catch((error: unknown) => {
    if (scope !== undefined) {
      scope.mailFailure = error instanceof MailerError ? error : new MailerError({ reason: "Unavailable", message: String(error) })
    }
    throw new apiError("SERVICE_UNAVAILABLE", { message: "Email could not be sent", code: "MAIL_NOT_SENT" })
  })
}
