/**
 * The account and the mailbox a request names, as the keys of their budgets.
 *
 * The account is read from the body Better Auth itself parsed (whatever the encoding: JSON, form,
 * multipart), normalised as Better Auth normalises it before looking the user up: lower-cased,
 * nothing else. The mailbox is where mail to that address lands: lower-cased, with a `+tag` of the
 * local part removed, so `Ada+1@Example.com` and `ada@example.com` share one. Keys are digests, so
 * no address is written to KV.
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

/** The mailbox of an address: lower-cased, the local part's `+tag` removed. */
export const mailboxOf = (email: string): string => {
  const lower = email.toLowerCase()
  const at = lower.lastIndexOf("@")
  if (at <= 0) return lower
  const local = lower.slice(0, at)
  const plus = local.indexOf("+")
  return plus <= 0 ? lower : `${local.slice(0, plus)}${lower.slice(at)}`
}

/** The first 128 bits of the SHA-256 of `text`, hex. */
export const digest = (text: string): Effect.Effect<string> => sha256Hex(new TextEncoder().encode(text), 16)
