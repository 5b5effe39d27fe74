import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Tracer } from "effect"
import * as KvMemory from "../../src/layers/KvMemory.js"
import * as RateLimiterKv from "../../src/layers/RateLimiterKv.js"
import * as SessionStoreKv from "../../src/layers/SessionStoreKv.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import { SessionConfig, SessionStore } from "../../src/services/SessionStore.js"
import { Tracing } from "../../src/services/Tracing.js"

/** A tracer that records the name of every span started, over Effect's own. */
const recording = () => {
  const names: Array<string> = []
  const layer = Layer.unwrapEffect(Effect.map(Effect.tracer, (native) =>
    Layer.setTracer(Tracer.make({
      span: (name, ...rest) => {
        names.push(name)
        return native.span(name, ...rest)
      },
      context: native.context
    }))))
  return { names, layer }
}

const Services = Layer.mergeAll(
  SessionStoreKv.layer.pipe(Layer.provide(SessionConfig.layer())),
  RateLimiterKv.layer
).pipe(Layer.provide(KvMemory.layer))

const calls = Effect.gen(function*() {
  const store = yield* SessionStore
  const limiter = yield* RateLimiter
  expect(yield* store.lookup("AbCdEfGhIjKlMnOpQrStUvWxYz012345")).toEqual(Option.none())
  yield* limiter.consume("k", { limit: 5, window: "1 minute" })
})

describe("Tracing", () => {
  it.effect("with Tracing.enabled, service calls open their spans", () => {
    const { names, layer } = recording()
    return calls.pipe(Effect.provide(Services), Effect.provide(Tracing.enabled), Effect.provide(layer), Effect.tap(() =>
      Effect.sync(() => expect(names).toEqual(["SessionStore.lookup", "RateLimiter.consume"]))))
  })

  it.effect("by default they open none (a span with nowhere to go costs more than a cache hit)", () => {
    const { names, layer } = recording()
    return calls.pipe(Effect.provide(Services), Effect.provide(layer), Effect.tap(() => Effect.sync(() => expect(names).toEqual([]))))
  })
})
