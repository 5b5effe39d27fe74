/**
 * The layers, as the package's `edge-auth-state/layers` entry: each module implements a service of
 * `edge-auth-state/services` over a backend (`KvBinding.layer(env.KV)`, `CacheKv.layer`, ...), as
 * a namespace (`KvMemory.layer`, `KvMemory.make`). `Worker.make` composes them from configuration;
 * these are for composing them yourself and for tests (`edge-auth-state/testing` adds the test kit).
 *
 * @module
 */
export * as CacheKv from "./CacheKv.js"
export * as DatabaseD1 from "./DatabaseD1.js"
export * as KvBinding from "./KvBinding.js"
export * as KvFaults from "./KvFaults.js"
export * as KvMemory from "./KvMemory.js"
export * as KvReplicated from "./KvReplicated.js"
export * as MailerNone from "./MailerNone.js"
export * as MailerOutbox from "./MailerOutbox.js"
export * as MailerResend from "./MailerResend.js"
export * as OpenApiPlugin from "./OpenApiPlugin.js"
export * as RateLimiterBinding from "./RateLimiterBinding.js"
export * as RateLimiterDurableObject from "./RateLimiterDurableObject.js"
export * as RateLimiterKv from "./RateLimiterKv.js"
export * as SessionIndexD1 from "./SessionIndexD1.js"
export * as SessionRevocationsDurableObject from "./SessionRevocationsDurableObject.js"
export * as SessionStoreKv from "./SessionStoreKv.js"
export * as Services from "./Services.js"
