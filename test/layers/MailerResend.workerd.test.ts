import { fetchMock } from "cloudflare:test"
import { Effect, Redacted } from "effect"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import * as MailerResend from "../../src/layers/MailerResend.js"

const mailer = MailerResend.make({ from: "Example <auth@example.com>", apiKey: Redacted.make("re_live_secret") })
const mail = { to: "ada@example.com", subject: "Sign in", text: "https://example.com/x", html: "<a href=\"https://example.com/x\">x</a>" }
const send = () => Effect.runPromise(Effect.either(mailer.send(mail)))
const resend = () => fetchMock.get("https://api.resend.com")

describe("MailerResend over the Worker's outbound fetch (mocked)", () => {
  beforeAll(() => {
    fetchMock.activate()
    fetchMock.disableNetConnect()
  })
  afterEach(() => fetchMock.assertNoPendingInterceptors())

  it("posts one JSON message with the Bearer key to /emails", async () => {
    let seen: { headers: Record<string, string>; body: unknown } | undefined
    resend().intercept({ path: "/emails", method: "POST" }).reply(200, (options) => {
      seen = { headers: options.headers as Record<string, string>, body: JSON.parse(String(options.body)) }
      return { id: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794" }
    })
    expect(await send()).toMatchObject({ _tag: "Right" })
    expect(seen?.headers["authorization"]).toBe("Bearer re_live_secret")
    expect(seen?.headers["content-type"]).toBe("application/json")
    expect(seen?.body).toEqual({ from: "Example <auth@example.com>", to: ["ada@example.com"], subject: "Sign in", text: mail.text, html: mail.html })
  })

  it.each([
    [422, "Rejected", "The `to` field is invalid"],
    [401, "Rejected", "API key is invalid"],
    [403, "Rejected", "The example.com domain is not verified"],
    [429, "Unavailable", "Too many requests"],
    [500, "Unavailable", "Internal server error"],
    [503, "Unavailable", "Service unavailable"]
  ] as const)("%i is %s, with the provider's message and never the key", async (status, reason, message) => {
    resend().intercept({ path: "/emails", method: "POST" }).reply(status, { statusCode: status, name: "error", message })
    const result = await send()
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "MailerError", reason } })
    if (result._tag === "Left") {
      expect(result.left.message).toBe(`mail provider answered ${status}: ${message}`)
      expect(result.left.message).not.toContain("re_live_secret")
    }
  })

  it("a non-JSON error body is kept, truncated", async () => {
    resend().intercept({ path: "/emails", method: "POST" }).reply(502, "<html>" + "x".repeat(500))
    const result = await send()
    expect(result).toMatchObject({ _tag: "Left", left: { reason: "Unavailable" } })
    if (result._tag === "Left") expect(result.left.message.length).toBeLessThan(260)
  })

  it("a network failure is Unavailable", async () => {
    resend().intercept({ path: "/emails", method: "POST" }).replyWithError(new Error("connection reset"))
    expect(await send()).toMatchObject({ _tag: "Left", left: { _tag: "MailerError", reason: "Unavailable" } })
  })
})
