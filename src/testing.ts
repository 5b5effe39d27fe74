/**
 * The test kit, as the package's `edge-auth-state/testing` entry: `TestKit.layer` (every service an
 * action may require, over the in-memory KV on Effect's clock, so `TestClock` moves TTLs and
 * windows), `TestApp.make` (the whole app in one line, with its typed client), and the layers that
 * imitate KV's failure modes and staleness.
 *
 * @module
 */
export * as TestApp from "./http/TestApp.js"
export * as KvFaults from "./layers/KvFaults.js"
export * as KvMemory from "./layers/KvMemory.js"
export * as KvReplicated from "./layers/KvReplicated.js"
export * as MailerOutbox from "./layers/MailerOutbox.js"
export * as TestKit from "./layers/TestKit.js"
