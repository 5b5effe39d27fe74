/**
 * The passkey plugin answers whatever fails in its verification routes alike: a registration with
 * 500, a sign-in with 400, whether WebAuthn verification failed (the client's fault) or storing the
 * passkey or the session did (the server's). Its `afterVerification` callbacks record that
 * verification passed (`RequestState.markPasskeyVerified`), which tells the two apart: before it, a
 * 4xx with the plugin's own body; after it, the provider is unavailable (503).
 *
 * Any other 5xx is the provider failing (503), except a refusal of the guard's, which is the answer
 * it chose (e.g. 503 `MAIL_DISABLED`) and is passed on as it is.
 *
 * @module
 */
import { Effect } from "effect"
import { AuthUnavailable } from "../../services/AuthProvider.js"
import type { Marks } from "./RequestState.js"

const isPasskeyVerification = (url: string) => /\/passkey\/verify-(registration|authentication)\/?$/i.test(new URL(url).pathname)

/** `response` to `request`, or the failure it stands for, given what became of the request. */
export const outcome = (request: Request, response: Response, marks: Marks): Effect.Effect<Response, AuthUnavailable> => {
  if (marks.refused) return Effect.succeed(response)
  const verified = marks.passkeyVerified
  const ceremony = isPasskeyVerification(request.url)
  if (ceremony && verified && response.status >= 400) {
    return Effect.fail(new AuthUnavailable({ message: `passkey verified, then answered ${response.status}` }))
  }
  if (response.status < 500) return Effect.succeed(response)
  if (ceremony && !verified) {
    return Effect.tryPromise({
      try: async () => new Response(await response.text(), { status: 400, headers: { "content-type": "application/json" } }),
      catch: (cause) => new AuthUnavailable({ message: `auth handler's answer not read: ${String(cause)}` })
    })
  }
  return Effect.fail(new AuthUnavailable({ message: `auth handler answered ${response.status}` }))
}
