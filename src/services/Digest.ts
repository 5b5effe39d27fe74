/**
 * SHA-256 digests as hex, for keys derived from text that must not be stored as it is (too long
 * for a KV key, or personal data).
 *
 * @module
 */
import { Effect } from "effect"

/** The SHA-256 of `data` as hex, its first `bytes` bytes (all 32 by default). */
export const sha256Hex = (data: BufferSource, bytes = 32): Effect.Effect<string> =>
  Effect.map(
    Effect.promise(() => crypto.subtle.digest("SHA-256", data)),
    (hash) => Array.from(new Uint8Array(hash, 0, bytes), (b) => b.toString(16).padStart(2, "0")).join("")
  )
