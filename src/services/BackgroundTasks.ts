/**
 * Work that continues after the response: in a worker, `ctx.waitUntil`; in tests, run at once.
 *
 * The worker provides it per request (the `ExecutionContext` belongs to one request); code that
 * finds none in context falls back to a detached fiber.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { runPromise } from "./RequestScheduler.js"

export interface BackgroundTasksService {
  /** Starts `task` without waiting for it; its failures are the task's own business to log. */
  readonly run: (task: Effect.Effect<void>) => Effect.Effect<void>
}

export class BackgroundTasks extends Context.Tag("edge-auth-state/BackgroundTasks")<BackgroundTasks, BackgroundTasksService>() {
  /** Background tasks of one Worker request, kept alive by `ctx.waitUntil`. */
  static readonly fromExecutionContext = (ctx: Pick<ExecutionContext, "waitUntil">): BackgroundTasksService => ({
    run: (task) =>
      Effect.flatMap(Effect.runtime<never>(), (runtime) =>
        Effect.sync(() => ctx.waitUntil(runPromise(runtime, task))))
  })

  /** Runs each task to completion before going on: deterministic, for tests. */
  static readonly layerInline = Layer.succeed(BackgroundTasks, { run: (task) => task })
}

/** Runs `task` in the background with whatever `BackgroundTasks` the context has. */
export const runInBackground = (task: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(BackgroundTasks), (tasks) =>
    tasks._tag === "Some" ? tasks.value.run(task) : Effect.asVoid(Effect.forkDaemon(task)))
