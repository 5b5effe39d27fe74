/**
 * Registers a passkey and signs in with it against a running worker, with the software
 * authenticator of the tests (no browser, no hardware):
 *
 *   npm run walkthrough:passkey -- http://localhost:8787 <bearer token of a signed-in user>
 *
 * It prints each step's status, then the new session's Bearer credential.
 */
import * as Authenticator from "../test/http/webauthn.js"

const [base = "http://localhost:8787", token] = process.argv.slice(2)
if (token === undefined) {
  console.error("usage: npm run walkthrough:passkey -- <worker origin> <bearer token>")
  process.exit(2)
}
const origin = new URL(base).origin
const cookieOf = (response: Response) => /[\w.-]*better-auth-passkey=[^;,\s]+/.exec(response.headers.get("set-cookie") ?? "")?.[0] ?? ""
const step = async (name: string, response: Promise<Response>) => {
  const answer = await response
  console.log(`${name}: ${answer.status}`)
  if (answer.status !== 200) {
    console.error(await answer.text())
    process.exit(1)
  }
  return answer
}
const post = (path: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${origin}${path}`, { method: "POST", headers: { origin, "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

const registerOptions = await step(
  "GET  /api/auth/passkey/generate-register-options",
  fetch(`${origin}/api/auth/passkey/generate-register-options`, { headers: { origin, authorization: `Bearer ${token}` } })
)
const created = await Authenticator.create(await registerOptions.json(), { origin })
await step(
  "POST /api/auth/passkey/verify-registration",
  post("/api/auth/passkey/verify-registration", { response: created.response, name: "software authenticator" }, {
    authorization: `Bearer ${token}`,
    cookie: cookieOf(registerOptions)
  })
)
const signInOptions = await step(
  "GET  /api/auth/passkey/generate-authenticate-options",
  fetch(`${origin}/api/auth/passkey/generate-authenticate-options`, { headers: { origin } })
)
const assertion = await Authenticator.get(created.credential, await signInOptions.json(), { origin })
const signedIn = await step(
  "POST /api/auth/passkey/verify-authentication",
  post("/api/auth/passkey/verify-authentication", { response: assertion }, { cookie: cookieOf(signInOptions) })
)
const { session } = (await signedIn.json()) as { session: { token: string } }
console.log(`set-auth-token: ${signedIn.headers.get("set-auth-token")}`)
console.log(`session token:  ${session.token}   (KV key session:${session.token})`)
