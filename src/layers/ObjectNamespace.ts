/**
 * What a client of a Durable Object (the rate limiter's, the session revocations') needs of its
 * namespace binding: any `DurableObjectNamespace`, whatever the class it is typed with.
 *
 * @module
 */
export interface ObjectNamespace {
  readonly idFromName: (name: string) => DurableObjectId
  readonly get: (id: DurableObjectId) => { readonly fetch: (input: string, init?: RequestInit) => Promise<Response> }
}
