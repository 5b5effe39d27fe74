/**
 * The composition root: the one place that chooses a layer for every service.
 *
 * @module
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServer from "@effect/platform/HttpServer"
import { Layer } from "effect"
import * as BetterAuth from "../layers/BetterAuth.js"
import * as KvBinding from "../layers/KvBinding.js"
import * as SessionStoreKv from "../layers/SessionStoreKv.js"
import { SessionConfig } from "../services/SessionStore.js"
import { Api } from "./Api.js"
import type { AppConfig } from "./Config.js"
import * as JsonErrors from "./JsonErrors.js"
import { RoutesLive } from "./Routes.js"

/** Every service the HTTP layer needs, over the worker's bindings. */
export const servicesLayer = (config: AppConfig) => {
  const kv = KvBinding.layer(config.kv)
  const sessionConfig = SessionConfig.layer({ expiresIn: config.sessionExpiresIn, updateAge: config.sessionUpdateAge })
  const sessionStore = SessionStoreKv.layer.pipe(Layer.provide([kv, sessionConfig]))
  const auth = BetterAuth.layer.pipe(
    Layer.provide([sessionStore, sessionConfig]),
    Layer.provide(Layer.succeed(BetterAuth.BetterAuthConfig, {
      database: config.db,
      secret: config.secret,
      baseURL: config.baseURL
    }))
  )
  return Layer.mergeAll(kv, sessionConfig, sessionStore, auth)
}

/** The API with its handlers, over the given services. */
export const apiLayer = HttpApiBuilder.api(Api).pipe(Layer.provide([RoutesLive, JsonErrors.layer]))

/** A `fetch` handler for the whole worker. Its runtime is built on the first request and reused. */
export const makeWebHandler = (config: AppConfig) =>
  HttpApiBuilder.toWebHandler(
    Layer.mergeAll(apiLayer, HttpServer.layerContext).pipe(Layer.provide(servicesLayer(config)))
  )
