import { env } from "cloudflare:test"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { freshIp, origin } from "./helpers.js"

const password = "correct-horse-battery"

describe("MAILER=none", { timeout: 30_000 }, () => {
  it("the routes that exist to send mail answer 503 MAIL_DISABLED, every time; passwords go on working", async () => {
    const app = appOf(Either.getOrThrow(readConfig({ ...env, MAILER: "none" })))
    const background: Array<Promise<unknown>> = []
    const post = async (path: string, body: unknown) => {
      const response = await app.handler(
        new Request(`${origin}${path}`, {
          method: "POST",
          headers: { origin, "cf-connecting-ip": freshIp(), "content-type": "application/json" },
          body: JSON.stringify(body)
        }),
        { waitUntil: (promise) => void background.push(promise) }
      )
      await Promise.all(background)
      return response
    }
    const email = `none-${crypto.randomUUID()}@example.com`
    expect((await post("/api/auth/sign-up/email", { email, password, name: "N" })).status).toBe(200)
    // The notice a second sign-up would mail to the owner is not sent, and the answer is the same.
    const again = await post("/api/auth/sign-up/email", { email, password, name: "N" })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ token: null })

    const mailing = [
      ["/api/auth/sign-in/magic-link", { email }],
      ["/api/auth/request-password-reset", { email, redirectTo: "/reset" }],
      ["/api/auth/send-verification-email", { email }]
    ] as const
    for (let round = 0; round < 2; round++) {
      for (const [path, body] of mailing) {
        const refused = await post(path, body)
        expect(refused.status, path).toBe(503)
        expect(await refused.json()).toEqual({ error: "Mail is turned off on this server", code: "MAIL_DISABLED" })
      }
    }
    // Nothing was stored for a link that was never sent.
    const verifications = await env.KV.list({ prefix: "auth:verification:" })
    expect(verifications.keys.filter((k) => k.name.includes(email))).toEqual([])

    const signedIn = await post("/api/auth/sign-in/email", { email, password })
    expect(signedIn.status).toBe(200)
    expect(((await signedIn.json()) as { token: string }).token).toBeTruthy()
    await app.dispose()
  })
})
