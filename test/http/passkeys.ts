/** Passkey ceremonies against the worker under test, with the software authenticator. */
import { expect } from "vitest"
import { call, freshIp, origin, postJson } from "./helpers.js"
import * as Authenticator from "./webauthn.js"

/** The `name=value` of the passkey challenge cookie an options response set. */
export const challengeCookie = (response: Response) => {
  const cookie = /[\w.-]*better-auth-passkey=[^;,\s]+/.exec(response.headers.get("set-cookie") ?? "")?.[0]
  if (cookie === undefined) throw new Error(`no challenge cookie (status ${response.status})`)
  return cookie
}

export const browser = { origin }

/** The worker the ceremonies ask: `SELF` by default. */
export interface Target {
  readonly call: typeof call
  readonly postJson: typeof postJson
}
const self: Target = { call, postJson }

/** Registers a passkey for the signed-in user (Bearer `token`): the credential, as the authenticator keeps it. */
export const register = async (token: string, authenticator: Authenticator.AuthenticatorOptions = browser, { call, postJson }: Target = self) => {
  const ip = freshIp()
  const options = await call("/api/auth/passkey/generate-register-options", {
    headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip }
  })
  expect(options.status).toBe(200)
  const cookie = challengeCookie(options)
  const { credential, response } = await Authenticator.create(await options.json(), authenticator)
  const verified = await postJson("/api/auth/passkey/verify-registration", { response, name: "test key" }, {
    authorization: `Bearer ${token}`,
    cookie,
    "cf-connecting-ip": ip
  })
  return { credential, verified }
}

/** One sign-in ceremony with `credential`: the verification's response. */
export const signInWith = async (
  credential: Authenticator.Credential,
  authenticator: Authenticator.AuthenticatorOptions = browser,
  signWith?: CryptoKey,
  { call, postJson }: Target = self
) => {
  const ip = freshIp()
  const options = await call("/api/auth/passkey/generate-authenticate-options", { headers: { "cf-connecting-ip": ip } })
  expect(options.status).toBe(200)
  const cookie = challengeCookie(options)
  const response = await Authenticator.get(credential, await options.json(), authenticator, signWith)
  return { response, cookie, answer: await postJson("/api/auth/passkey/verify-authentication", { response }, { cookie, "cf-connecting-ip": ip }) }
}

