import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, TestClock } from "effect"
import * as MailerResend from "../../src/layers/MailerResend.js"

describe("MailerResend timeouts", () => {
  it.effect("a provider that does not answer is Unavailable after the timeout, and the request is aborted", () =>
    Effect.gen(function*() {
      let aborted = false
      const hanging = (_input: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => {
            aborted = true
            reject(new Error("aborted"))
          })
        })
      const mailer = MailerResend.make({ from: "a@example.com", apiKey: Redacted.make("re_secret"), timeout: "5 seconds", fetch: hanging })
      const fiber = yield* Effect.fork(Effect.flip(mailer.send({ to: "b@example.com", subject: "s", text: "t" })))
      yield* TestClock.adjust("4999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "MailerError", reason: "Unavailable" })
      expect(error.message).toContain("did not answer within 5s")
      expect(error.message).not.toContain("re_secret")
      expect(aborted).toBe(true)
    }))
})
