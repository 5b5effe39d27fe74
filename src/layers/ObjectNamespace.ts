/**
 * What the project's Durable Objects (the rate limiter's, the session revocations') share: the
 * namespace binding their clients take (any `DurableObjectNamespace`, whatever the class it is typed
 * with) and the setting's check that it is bound, the call a client makes to one object, and the
 * alarm each object cleans up with.
 *
 * @module
 */
import { Effect } from "effect"
import type { ParseResult } from "effect"

export interface ObjectNamespace {
  readonly idFromName: (name: string) => DurableObjectId
  readonly get: (id: DurableObjectId) => { readonly fetch: (input: string, init?: RequestInit) => Promise<Response> }
}

/** Whether `value` is a Durable Object namespace binding, as far as a client needs one. */
const isObjectNamespace = (value: unknown): value is ObjectNamespace =>
  typeof value === "object" && value !== null &&
  typeof (value as Record<string, unknown>).idFromName === "function" &&
  typeof (value as Record<string, unknown>).get === "function"

/**
 * The Durable Object namespace `env` binds as `binding`, which the setting `setting` (e.g.
 * `RATE_LIMIT_BACKEND=durable-object`) needs for objects of class `className`; when there is none, a
 * line for `problems` saying how to declare it.
 */
export const readObjectNamespace = (
  env: Readonly<Record<string, unknown>>,
  needed: { readonly binding: string; readonly className: string; readonly setting: string },
  problems: Array<string>
): ObjectNamespace | undefined => {
  const namespace = env[needed.binding]
  if (isObjectNamespace(namespace)) return namespace
  problems.push(
    `Durable Object binding \`${needed.binding}\` is missing (${needed.setting}): declare it in wrangler.toml with class_name = "${needed.className}" and its new_sqlite_classes migration`
  )
  return undefined
}

/**
 * One JSON request to the object named `name` in `namespace`, its JSON answer decoded. Every way it
 * can fail is `unavailable`, with a message naming the object (`what`): unreachable, an answer that
 * is not 2xx, not JSON, or not the expected shape.
 */
export const callObject = <A, E>(
  namespace: ObjectNamespace,
  name: string,
  request: { readonly url: string; readonly body: unknown },
  decode: (body: unknown) => Effect.Effect<A, ParseResult.ParseError>,
  failure: { readonly what: string; readonly unavailable: (message: string) => E }
): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    const { what, unavailable } = failure
    const response = yield* Effect.tryPromise({
      try: () => namespace.get(namespace.idFromName(name)).fetch(request.url, { method: "POST", body: JSON.stringify(request.body) }),
      catch: (cause) => unavailable(`${what} object unreachable: ${cause instanceof Error ? cause.message : String(cause)}`)
    })
    if (!response.ok) return yield* Effect.fail(unavailable(`${what} object answered ${response.status}`))
    const body = yield* Effect.tryPromise({ try: () => response.json(), catch: () => unavailable(`${what} object answered no JSON`) })
    return yield* Effect.mapError(decode(body), () => unavailable(`${what} object answered an unknown shape`))
  })

/**
 * An object's cleanup alarm: `schedule(at)` makes sure a cleanup runs by `at` (an alarm already due
 * by then is kept; the alarm's time is read from storage once, then remembered); `fire(cleanup)` is
 * the object's `alarm()`.
 */
export class CleanupAlarm {
  readonly #storage: DurableObjectStorage
  /** `undefined` until read from storage; `null` when no alarm is set. */
  #at: number | null | undefined = undefined

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage
  }

  async schedule(at: number): Promise<void> {
    if (this.#at === undefined) this.#at = await this.#storage.getAlarm()
    if (this.#at !== null && this.#at <= at) return
    this.#at = at
    await this.#storage.setAlarm(at)
  }

  /**
   * Runs `cleanup` (which answers the time of the next cleanup, if anything is left) and schedules
   * the next; when nothing is left, deletes the object's storage (an object with no storage costs
   * nothing) and answers `"emptied"`.
   */
  async fire(cleanup: () => number | undefined): Promise<"emptied" | "kept"> {
    this.#at = null
    const next = cleanup()
    if (next !== undefined) {
      await this.schedule(next)
      return "kept"
    }
    await this.#storage.deleteAll()
    return "emptied"
  }
}
