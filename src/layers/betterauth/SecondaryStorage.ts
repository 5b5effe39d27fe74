/**
 * Better Auth's `secondaryStorage`, as a port of the session store: each call runs the store's
 * own Effect operation (`SessionStore.storage`) on the runtime it is given, so what Better Auth
 * reads and writes is exactly what the rest of the worker reads and writes.
 *
 * KV has no atomic operations: Better Auth is configured never to need `getAndDelete` or
 * `increment` (see `Options`), and reaching either is a defect, said out loud.
 *
 * @module
 */
import type { SecondaryStorage } from "better-auth"
import { Effect, Option } from "effect"
import type { SessionStoreService } from "../../services/SessionStore.js"

/** Thrown into Better Auth if it ever reaches an operation KV cannot do atomically. */
export class NonAtomicStorageDefect extends Error {
  constructor(operation: "getAndDelete" | "increment") {
    super(`Better Auth called secondaryStorage.${operation}, which KV cannot do atomically; this configuration must never reach it`)
    this.name = "NonAtomicStorageDefect"
    // Better Auth turns a thrown error into its own 500; say it here, by name, so it is not lost.
    console.error(JSON.stringify({ level: "FATAL", message: this.message, defect: this.name }))
  }
}

/**
 * The session store as Better Auth's storage. `run` runs an Effect for Better Auth's promise code
 * (the request's runtime, so logs carry its id); a failure rejects with the store's own error.
 */
export const make = (store: SessionStoreService, run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>): SecondaryStorage => ({
  get: (key) => run(Effect.map(store.storage.get(key), Option.getOrNull)),
  set: (key, value, ttl) => run(store.storage.set(key, value, ttl)),
  delete: (key) => run(store.storage.delete(key)),
  getAndDelete: () => {
    throw new NonAtomicStorageDefect("getAndDelete")
  },
  increment: () => {
    throw new NonAtomicStorageDefect("increment")
  }
})
