/**
 * What Better Auth's callbacks (its storage, hooks, mail and passkey callbacks) know of the
 * request they run in: the request's Effect runtime, whose services and request id their Effects
 * run with; whether its passkey ceremony passed verification; whether the guard refused it;
 * and whether the record of session revocations failed it (Better Auth carries on past some
 * failures, its sign-out among them).
 *
 * It rides in Better Auth's own request state (`defineRequestState`, the AsyncLocalStorage Better
 * Auth already keeps per request): `within` starts Better Auth's handler with it, and every
 * callback reads it back. The request id itself lives in one place, the answering fiber's
 * `RequestId`; this carries the runtime that holds it.
 *
 * @module
 */
import type { Effect, Runtime } from "effect"
import { runPromise } from "../../services/RequestScheduler.js"
import type { Library } from "./Library.js"

interface State {
  readonly runtime: Runtime.Runtime<never>
  passkeyVerified: boolean
  refused: boolean
  /** The first failure of the record of session revocations, if any. */
  revocationsUnavailable: string | undefined
}

/** What became of a request, besides Better Auth's answer (read by `PasskeyOutcome`). */
export interface Marks {
  /** The request's passkey ceremony passed WebAuthn verification. */
  readonly passkeyVerified: boolean
  /** The answer is the guard's refusal, not the endpoint's. */
  readonly refused: boolean
  /** The record of session revocations failed the request: the message of its first failure. */
  readonly revocationsUnavailable: string | undefined
}

export interface RequestStates {
  /** Runs `handle` (Better Auth's handler) for the request answered on `runtime`. */
  readonly within: <A>(
    runtime: Runtime.Runtime<never>,
    handle: () => Promise<A>
  ) => Promise<{ readonly result: A; readonly marks: Marks }>
  /** Runs `effect` on the current request's runtime (`fallback`'s outside a request). */
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  /** Records that the current request's passkey ceremony passed WebAuthn verification. */
  readonly markPasskeyVerified: () => Promise<void>
  /** Records that the current request is answered with the guard's refusal. */
  readonly markRefused: () => Promise<void>
  /** Records that the record of session revocations failed the current request. */
  readonly markRevocationsUnavailable: (message: string) => Promise<void>
}

export const make = (
  library: Pick<Library, "defineRequestState" | "runWithRequestState">,
  fallback: Runtime.Runtime<never>
): RequestStates => {
  const state = library.defineRequestState<State | undefined>(() => undefined)
  /** The current request's state; `undefined` outside `within` (Better Auth throws there). */
  const current = (): Promise<State | undefined> => state.get().catch(() => undefined)
  /** Records `update` on the current request's state (nothing outside a request). */
  const mark = (update: (request: State) => void): Promise<void> =>
    current().then((request) => {
      if (request !== undefined) update(request)
    })
  return {
    within: async (runtime, handle) => {
      const request: State = { runtime, passkeyVerified: false, refused: false, revocationsUnavailable: undefined }
      const result = await library.runWithRequestState(new WeakMap([[state.ref, request]]), handle)
      const { passkeyVerified, refused, revocationsUnavailable } = request
      return { result, marks: { passkeyVerified, refused, revocationsUnavailable } }
    },
    run: (effect) => current().then((request) => runPromise(request?.runtime ?? fallback, effect)),
    markPasskeyVerified: () => mark((request) => (request.passkeyVerified = true)),
    markRefused: () => mark((request) => (request.refused = true)),
    markRevocationsUnavailable: (message) => mark((request) => (request.revocationsUnavailable ??= message))
  }
}
