/**
 * A worker from options: what a project's entry file exports (`export default Worker.make({...})`).
 * The options are `WorkerHandler`'s; Better Auth is loaded without passkeys unless
 * `betterAuth.load` says otherwise (`Passkeys.load`).
 *
 * @module
 */
import * as CoreLibrary from "../layers/CoreLibrary.js"
import type * as Action from "./Action.js"
import * as WorkerHandler from "./WorkerHandler.js"
import type { WorkerOptions } from "./WorkerHandler.js"

export type { WorkerOptions } from "./WorkerHandler.js"

/** The fetch handler of a worker made with `options`. */
export const make = <const Actions extends ReadonlyArray<Action.Any>, E extends object = Record<string, unknown>>(
  options: WorkerOptions<Actions, E> = {}
) => WorkerHandler.make<Actions, E>({ ...options, betterAuth: { ...options.betterAuth, load: options.betterAuth?.load ?? CoreLibrary.load } })
