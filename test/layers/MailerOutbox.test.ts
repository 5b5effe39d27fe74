import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as MailerOutbox from "../../src/layers/MailerOutbox.js"
import { linksIn, Mailer, Outbox } from "../../src/services/Mailer.js"

describe("MailerOutbox", () => {
  it.effect("keeps every message, newest first, stamped with the Clock's time", () =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      const outbox = yield* Outbox
      expect(yield* outbox.messages).toEqual([])
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
      yield* mailer.send({ to: "ada@example.com", subject: "first", text: "see https://a.example/x?y=1&z=2." })
      yield* TestClock.adjust("90 seconds")
      yield* mailer.send({
        to: "bob@example.com",
        subject: "second",
        text: "plain, no link",
        html: `<a href="https://b.example/p?q=1&amp;r=2">go</a>`
      })
      expect(yield* outbox.messages).toEqual([
        {
          to: "bob@example.com",
          subject: "second",
          text: "plain, no link",
          html: `<a href="https://b.example/p?q=1&amp;r=2">go</a>`,
          links: ["https://b.example/p?q=1&r=2"],
          sentAt: "2026-01-01T00:01:30.000Z"
        },
        { to: "ada@example.com", subject: "first", text: "see https://a.example/x?y=1&z=2.", links: ["https://a.example/x?y=1&z=2"], sentAt: "2026-01-01T00:00:00.000Z" }
      ])
    }).pipe(Effect.provide(MailerOutbox.layer)))

  it.effect("keeps only the latest messages up to its capacity", () =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      for (let i = 1; i <= 5; i++) yield* mailer.send({ to: "a@example.com", subject: `m${i}`, text: "" })
      expect((yield* (yield* Outbox).messages).map((m) => m.subject)).toEqual(["m5", "m4", "m3"])
    }).pipe(Effect.provide(MailerOutbox.layerWith({ capacity: 3 }))))

  it.effect("a reader's copy is not the outbox itself", () =>
    Effect.gen(function*() {
      yield* (yield* Mailer).send({ to: "a@example.com", subject: "s", text: "t" })
      const read = (yield* (yield* Outbox).messages) as Array<unknown>
      read.length = 0
      expect(yield* (yield* Outbox).messages).toHaveLength(1)
    }).pipe(Effect.provide(MailerOutbox.layer)))

  it.effect("each build is a fresh, empty outbox", () =>
    Effect.gen(function*() {
      expect(yield* (yield* Outbox).messages).toEqual([])
    }).pipe(Effect.provide(MailerOutbox.layer)))
})

describe("linksIn", () => {
  it("finds every URL once, in order, without trailing punctuation, in text and HTML", () => {
    expect(linksIn({
      to: "x",
      subject: "s",
      text: "Go to http://localhost:8787/api/auth/magic-link/verify?token=abc&callbackURL=%2F, or (https://example.com/help).",
      html: `<p><a href="http://localhost:8787/api/auth/magic-link/verify?token=abc&amp;callbackURL=%2F">Sign in</a> <a href='https://example.com/other'>x</a></p>`
    })).toEqual([
      "http://localhost:8787/api/auth/magic-link/verify?token=abc&callbackURL=%2F",
      "https://example.com/help",
      "https://example.com/other"
    ])
    expect(linksIn({ to: "x", subject: "s", text: "no links, not even ftp://x or www.example.com" })).toEqual([])
  })
})
