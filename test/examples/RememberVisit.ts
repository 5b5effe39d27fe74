import { Clock, Effect } from "effect"
import { Kv } from "../../src/services/Kv.js"

/** Records when a user was last seen, for an hour. Needs a `Kv`; which one is chosen at the edge. */
export const rememberVisit = (user: string) =>
  Effect.gen(function*() {
    const kv = yield* Kv
    const now = yield* Clock.currentTimeMillis
    yield* kv.put(`visit:${user}`, new Date(now).toISOString(), { expirationTtl: 3600 })
  })

// In the worker:  Effect.provide(rememberVisit("ada"), KvBinding.layer(env.KV))
// In a test:      Effect.provide(rememberVisit("ada"), KvMemory.layer)
