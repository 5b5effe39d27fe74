/**
 * A custom action: an endpoint (its path, input, output and errors, as Schemas) and the handler
 * that answers it, made together so neither can be mounted without the other. Actions are listed
 * once, in the list a worker is made with (`actions/index.ts` here); the protected `actions` group
 * and its handlers are both built from that list, so an action is either fully wired and protected
 * or not served.
 *
 * @module
 */
import type * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import type { AuthProvider } from "../services/AuthProvider.js"
import type { Cache } from "../services/Cache.js"
import type { Authenticated } from "../services/CurrentUser.js"
import type { Database } from "../services/Database.js"
import type { Kv } from "../services/Kv.js"
import type { RateLimiter } from "../services/RateLimiter.js"
import type { SessionConfig, SessionStore } from "../services/SessionStore.js"

/**
 * What an action's handler may require: the signed-in request, and the services the worker
 * provides (checked where the worker is composed, `App.EveryActionServiceIsProvided`). A handler
 * that needs anything else is refused where the action is made:
 * `Type 'Mailer' is not assignable to type 'ActionServices'`. Work after the response goes through
 * `runInBackground`, which needs no service.
 */
export type ActionServices =
  | Authenticated
  | AuthProvider
  | Cache
  | Database
  | Kv
  | RateLimiter
  | SessionConfig
  | SessionStore
  | HttpRouter.HttpRouter.Provided

export interface Action<Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any, R> {
  readonly endpoint: Endpoint
  readonly handler: HttpApiEndpoint.HttpApiEndpoint.Handler<Endpoint, never, R>
}

/** Any action, for lists of them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = Action<any, any>

/** The endpoints of a list of actions. */
export type Endpoints<Actions extends ReadonlyArray<Any>> = Actions[number]["endpoint"]

type ContextOf<A> = A extends Action<any, infer R> ? R : never

/** What the handlers of a list of actions require. */
export type Context<Actions extends ReadonlyArray<Any>> = ContextOf<Actions[number]>

/**
 * An action from its endpoint and its handler. The handler receives the decoded input
 * (`{ urlParams }`, `{ payload }`, `{ path }`, and the `request`) and returns the endpoint's
 * success type or fails with one of its errors.
 */
export const make = <Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any, R extends ActionServices = never>(
  endpoint: Endpoint,
  handler: HttpApiEndpoint.HttpApiEndpoint.Handler<Endpoint, never, R>
): Action<Endpoint, R> => ({ endpoint, handler })

/**
 * A group holding the endpoints of `actions`. Two endpoints of one name (a copied action file not
 * yet renamed) would leave one of them out of the group and the OpenAPI document, so they are
 * refused when the API is defined, naming the endpoint.
 */
export const group = <const Name extends string, const Actions extends ReadonlyArray<Any>>(
  name: Name,
  actions: Actions
): HttpApiGroup.HttpApiGroup<Name, Endpoints<Actions>> =>
  actions.reduce<HttpApiGroup.HttpApiGroup.AnyWithProps>((group, action) => {
    const endpoint = action.endpoint as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
    if (endpoint.name in group.endpoints) {
      throw new Error(`Two actions in the "${name}" group are named "${endpoint.name}": give each endpoint its own name`)
    }
    return group.add(endpoint)
  }, HttpApiGroup.make(name) as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps) as unknown as HttpApiGroup.HttpApiGroup<
    Name,
    Endpoints<Actions>
  >

/**
 * `handlers` with every action of `actions` handled. The types follow the platform's own
 * `handle`: the endpoints left are those not in the list, so a group built from the same list has
 * none left.
 */
export const handleAll = <E, Provides, R, Remaining extends HttpApiEndpoint.HttpApiEndpoint.Any, const Actions extends ReadonlyArray<Any>>(
  handlers: HttpApiBuilder.Handlers<E, Provides, R, Remaining>,
  actions: Actions
): HttpApiBuilder.Handlers<E, Provides, R | Exclude<Context<Actions>, Provides>, Exclude<Remaining, Endpoints<Actions>>> =>
  actions.reduce(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (handled: HttpApiBuilder.Handlers<E, Provides, any, any>, action) => handled.handle(action.endpoint.name, action.handler),
    handlers
  )
