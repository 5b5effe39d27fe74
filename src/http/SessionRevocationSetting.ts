/**
 * `SESSION_REVOCATION`: how soon a session ended at one location is refused at every other.
 *
 * - `eventual` (the default): sessions are KV alone, one read per request; another location may
 *   serve its cached copy of an ended session for up to 60 s (KV's cache).
 * - `immediate`: every session read also asks the user's revocations object (the
 *   `SESSION_REVOCATIONS` Durable Object, strongly consistent), where every ending is recorded: a
 *   session ended anywhere is refused everywhere by every request that starts after the ending was
 *   answered. If the object cannot be reached, authenticated requests are answered 503.
 *
 * See docs/sessions.md for the trade-off.
 *
 * @module
 */
import { readObjectNamespace } from "../layers/ObjectNamespace.js"
import type { ObjectNamespace } from "../layers/ObjectNamespace.js"

/** The mode, with the binding `immediate` records revocations in. */
export type SessionRevocationChoice =
  | { readonly mode: "eventual" }
  | { readonly mode: "immediate"; readonly namespace: ObjectNamespace }

/** The mode `env` chooses; what is wrong with it goes to `problems`. */
export const readSessionRevocation = (env: Readonly<Record<string, unknown>>, problems: Array<string>): SessionRevocationChoice => {
  const mode = env.SESSION_REVOCATION ?? "eventual"
  switch (mode) {
    case "eventual":
      return { mode: "eventual" }
    case "immediate": {
      const needed = { binding: "SESSION_REVOCATIONS", className: "SessionRevocationsObject", setting: "SESSION_REVOCATION=immediate" }
      const namespace = readObjectNamespace(env, needed, problems)
      return namespace === undefined ? { mode: "eventual" } : { mode: "immediate", namespace }
    }
    default:
      problems.push(`SESSION_REVOCATION must be "eventual" or "immediate" (got ${JSON.stringify(mode)})`)
      return { mode: "eventual" }
  }
}
