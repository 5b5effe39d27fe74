/**
 * The account a request names, as the key of its bucket.
 *
 * It is read from the body Better Auth itself parsed (whatever the encoding: JSON, form, multipart),
 * and normalised as Better Auth normalises it before looking the user up: lower-cased, nothing
 * else (an address with spaces is not an email to Better Auth and never reaches a password check).
 * The key is a digest, so no address is written to KV.
 *
 * @module
 */
import { Effect, Option } from "effect"
import { sha256Hex } from "../../services/Digest.js"

/** The email a parsed body names, as Better Auth looks it up. */
export const accountEmail = (body: unknown): Option.Option<string> => {
  const email = typeof body === "object" && body !== null ? (body as { email?: unknown }).email : undefined
  return typeof email === "string" && email !== "" ? Option.some(email.toLowerCase()) : Option.none()
}

/** The first 128 bits of the SHA-256 of `text`, hex. */
export const digest = (text: string): Effect.Effect<string> => sha256Hex(new TextEncoder().encode(text), 16)

/** The account bucket key for a parsed body, if it names one. */
export const accountOf = (body: unknown): Effect.Effect<Option.Option<string>> =>
  Option.match(accountEmail(body), {
    onNone: () => Effect.succeed(Option.none()),
    onSome: (email) => Effect.map(digest(email), Option.some)
  })
