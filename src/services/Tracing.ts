/**
 * Whether the services open spans. Off unless a tracer is installed to export them: with Effect's
 * default tracer a span costs several microseconds (ids, clocks, a copy of the context) and goes
 * nowhere, more than the work it would time on a cache hit or a session read.
 *
 * Installing an OpenTelemetry tracer? Provide `Tracing.enabled` with it, and every service call
 * (SessionStore, RateLimiter, Cache, Database, Auth, authenticate) gets its span back.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect"

export class Tracing extends Context.Reference<Tracing>()("edge-auth-state/Tracing", {
  defaultValue: () => ({ enabled: false })
}) {
  /** Turns the services' spans on. */
  static readonly enabled = Layer.succeed(Tracing, { enabled: true })
}

/** `Effect.withSpan(name)` when tracing is enabled; the effect itself otherwise. */
export const traced = (name: string, attributes?: Record<string, unknown>) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Tracing, (tracing) =>
    tracing.enabled
      ? Effect.withSpan(self, name, { captureStackTrace: false, ...(attributes ? { attributes } : {}) })
      : self)
