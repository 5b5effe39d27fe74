/**
 * The services every worker (and every test of one) runs on, built in one place: the session
 * store, the rate limiter and the cache over one `Kv`, and the database. The worker gives it the
 * bindings (`KvBinding`, `DatabaseD1`, the session index in D1); `TestKit` gives it the in-memory
 * KV and a fake database. Each service is built once and shared: one `Kv` under all three.
 *
 * @module
 */
import { Layer } from "effect"
import type { Cache } from "../services/Cache.js"
import type { Database } from "../services/Database.js"
import type { Kv } from "../services/Kv.js"
import type { RateLimiter } from "../services/RateLimiter.js"
import type { SessionIndex } from "../services/SessionIndex.js"
import type { SessionRevocations } from "../services/SessionRevocations.js"
import { SessionConfig, SessionStore } from "../services/SessionStore.js"
import type { SessionConfigShape } from "../services/SessionStore.js"
import * as CacheKv from "./CacheKv.js"
import * as RateLimiterKv from "./RateLimiterKv.js"
import * as SessionIndexD1 from "./SessionIndexD1.js"
import * as SessionStoreKv from "./SessionStoreKv.js"

export interface ServicesOptions {
  readonly kv: Layer.Layer<Kv>
  readonly database: Layer.Layer<Database>
  /** What counts rate limits; default `RateLimiterKv` over `kv`. */
  readonly rateLimiter?: Layer.Layer<RateLimiter, never, Kv>
  /**
   * Keep the strongly consistent index of sessions in the database's `session` table (Better
   * Auth's, `SessionIndexD1`): sessions are written and extended only while it holds them. On in a
   * worker; off where there is no Better Auth schema (a test of an action).
   */
  readonly sessionIndex?: boolean
  /**
   * The strongly consistent record of revocations every session read asks and every ending is
   * recorded in (`SESSION_REVOCATION=immediate`: `SessionRevocationsDurableObject`). Default none
   * (`eventual`): sessions are KV alone, and a sign-out reaches other locations within 60 s.
   */
  readonly revocations?: Layer.Layer<SessionRevocations>
  readonly session?: Partial<SessionConfigShape>
}

/** What `layer` provides. */
export type Services = Kv | Database | SessionConfig | SessionStore | RateLimiter | Cache

export const layer = (options: ServicesOptions): Layer.Layer<Services> => {
  const base = Layer.mergeAll(options.kv, options.database, SessionConfig.layer(options.session))
  const index: Layer.Layer<never> | Layer.Layer<SessionIndex, never, Database> = options.sessionIndex === true ? SessionIndexD1.layer : Layer.empty
  const sessions = SessionStoreKv.layer.pipe(Layer.provide(Layer.merge(index, options.revocations ?? Layer.empty)))
  return Layer.mergeAll(sessions, options.rateLimiter ?? RateLimiterKv.layer, CacheKv.layer).pipe(Layer.provideMerge(base))
}
