/**
 * Running Effect inside workerd, where every promise, stream and binding call belongs to the
 * request that created it.
 *
 * Effect's default scheduler is one queue for the whole isolate: a fiber of request B can be
 * resumed by a flush that request A started, and then runs (and does I/O) in A's context, which
 * workerd refuses ("Cannot perform I/O on behalf of a different request"). Every entry point from
 * workerd into Effect therefore runs on a scheduler of its own, created in its own request, and no
 * fiber waits on another request's fiber.
 *
 * @module
 */
import { Cause, Effect, Exit, Runtime, Scheduler } from "effect"

/** A scheduler for one request's fibers. */
export const freshScheduler = () => new Scheduler.MixedScheduler(2048)

/** `effect` on a fresh scheduler, so its fibers only ever resume from this request's own work. */
export const withRequestScheduler = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => Effect.withScheduler(effect, freshScheduler()))

/**
 * Runs `effect` from promise-based code (Better Auth's storage and hooks, `ctx.waitUntil`) on a
 * fresh scheduler. A failure rejects with the error itself, not a FiberFailure wrapper.
 */
export const runPromise = <A, E, R>(runtime: Runtime.Runtime<R>, effect: Effect.Effect<A, E, R>): Promise<A> =>
  new Promise((resolve, reject) => {
    const fiber = Runtime.runFork(runtime, effect, { scheduler: freshScheduler() })
    fiber.addObserver((exit) => (Exit.isSuccess(exit) ? resolve(exit.value) : reject(Cause.squash(exit.cause))))
  })
