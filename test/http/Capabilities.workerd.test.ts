// `GET /api/capabilities` in workerd: what the worker offers follows its configuration (MAILER, the
// Better Auth library it loads), is public, and is answered without loading Better Auth.
import { it as effectIt } from "@effect/vitest"
import { env } from "cloudflare:test"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { readConfig } from "../../src/http/Config.js"
import * as CoreLibrary from "../../src/layers/CoreLibrary.js"
import * as GeneratedLibrary from "../../src/layers/GeneratedLibrary.js"
import * as Passkeys from "../../src/layers/Passkeys.js"
import { appOf } from "./app.js"
import { apiClient, call, freshIp, origin } from "./helpers.js"

/** The answer of a worker built from `env` with `MAILER` and `load` changed. */
const capabilitiesOf = async (mailer: string, load?: typeof CoreLibrary.load) => {
  let loads = 0
  const counted = load === undefined ? undefined : Object.assign(() => (loads++, load()), { passkeys: load.passkeys === true })
  const app = appOf({
    ...Either.getOrThrow(readConfig({ ...env, MAILER: mailer })),
    ...(counted === undefined ? {} : { betterAuth: { load: counted } })
  })
  const response = await app.handler(new Request(`${origin}/api/capabilities`, { headers: { "cf-connecting-ip": freshIp() } }), {
    waitUntil: () => undefined
  })
  await app.dispose()
  return { status: response.status, body: await response.json(), loads }
}

describe("GET /api/capabilities", () => {
  effectIt.live("this worker: mail through the outbox, passkeys from its bundled module; public, through the typed client", () =>
    Effect.gen(function*() {
      const client = yield* apiClient()
      expect(yield* client.system.capabilities()).toEqual({ mail: true, passkeys: true })
    }))

  it("public, JSON, and nothing read from KV", async () => {
    const before = await env.KV.list()
    const response = await call("/api/capabilities")
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    // No rate-limit rule covers it: no counter is read or written.
    expect(response.headers.get("ratelimit")).toBeNull()
    expect((await env.KV.list()).keys).toEqual(before.keys)
  })

  it("MAILER=none says mail is off; passkeys follow the library loaded, which is not loaded to say so", async () => {
    expect(await capabilitiesOf("none")).toMatchObject({ status: 200, body: { mail: false, passkeys: false } })
    expect(await capabilitiesOf("none", Passkeys.load)).toEqual({ status: 200, body: { mail: false, passkeys: true }, loads: 0 })
    expect(await capabilitiesOf("outbox", CoreLibrary.load)).toEqual({ status: 200, body: { mail: true, passkeys: false }, loads: 0 })
  })

  it("each loader's passkeys flag says what the library it loads has", async () => {
    for (const [name, load] of [["CoreLibrary.load", CoreLibrary.load], ["Passkeys.load", Passkeys.load], ["GeneratedLibrary.load", GeneratedLibrary.load]] as const) {
      const library = await load()
      expect([name, library.passkey !== undefined]).toEqual([name, load.passkeys === true])
    }
  })
})
