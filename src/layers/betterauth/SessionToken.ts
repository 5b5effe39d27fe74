/**
 * The session token a Bearer credential carries, checked without Better Auth: the raw token from a
 * sign-in's JSON, or the signed `set-auth-token` value (`<token>.<signature>`, an HMAC-SHA-256 of
 * the token with the secret, base64), which Better Auth's bearer plugin accepts too. Every Bearer
 * request to the API needs this and nothing else of Better Auth, so it is done here with Web Crypto
 * and a worker that only checks sessions never loads Better Auth.
 *
 * @module
 */
import { Effect, Option, Redacted } from "effect"
import { isSessionToken } from "../../services/SessionStore.js"

const encoder = new TextEncoder()

const base64Bytes = (text: string): Option.Option<Uint8Array> => {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "")
  if (!/^[A-Za-z0-9+/]*$/.test(normal) || normal.length % 4 === 1) return Option.none()
  try {
    const binary = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4))
    return Option.some(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return Option.none()
  }
}

const decodePercent = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The check of credentials signed with `secret`. */
export const make = (secret: Redacted.Redacted<string>) => {
  // A CryptoKey may be shared across requests; the promise importing it may not, so each request
  // that finds no key imports one and keeps it.
  let cachedKey: CryptoKey | undefined
  const hmacKey = Effect.suspend(() =>
    cachedKey !== undefined
      ? Effect.succeed(cachedKey)
      : Effect.promise(() => crypto.subtle.importKey("raw", encoder.encode(Redacted.value(secret)), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]))
        .pipe(Effect.tap((key) => Effect.sync(() => (cachedKey = key))))
  )

  const verifySigned = (credential: string) =>
    Effect.gen(function*() {
      const value = credential.includes("%") ? decodePercent(credential) : credential
      const dot = value.indexOf(".")
      const token = value.slice(0, dot)
      const signature = base64Bytes(value.slice(dot + 1))
      if (!isSessionToken(token) || Option.isNone(signature)) return Option.none<string>()
      const key = yield* hmacKey
      const valid = yield* Effect.promise(() => crypto.subtle.verify("HMAC", key, signature.value, encoder.encode(token)))
      return valid ? Option.some(token) : Option.none<string>()
    })

  /** The session token `credential` carries, or `None`. */
  return (credential: string): Effect.Effect<Option.Option<string>> =>
    credential.includes(".") || credential.includes("%")
      ? verifySigned(credential)
      : Effect.succeed(isSessionToken(credential) ? Option.some(credential) : Option.none())
}
