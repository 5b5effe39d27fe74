import { describe, expect, it } from "@effect/vitest"
import { Either, Redacted } from "effect"
import { readConfig } from "../../src/http/Config.js"

const bindings = {
  KV: { get() {}, put() {}, delete() {}, list() {} },
  DB: { prepare() {}, batch() {} },
  BETTER_AUTH_SECRET: "a-secret-of-at-least-thirty-two-characters",
  BETTER_AUTH_URL: "https://auth.example.com"
}
const read = (vars: Readonly<Record<string, unknown>>) => readConfig({ ...bindings, ...vars })
const problems = (vars: Readonly<Record<string, unknown>>) => Either.getLeft(read(vars)).pipe((o) => (o._tag === "Some" ? o.value : []))

describe("mail configuration", () => {
  it("by default the production mailer is required, and what it lacks is named at start-up", () => {
    expect(problems({})).toEqual([
      "MAIL_FROM is not set (the sender of sign-in mail, e.g. \"Example <auth@example.com>\"; MAILER=outbox for local development, MAILER=none for no mail)",
      "RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)"
    ])
    expect(problems({ MAIL_FROM: "  ", RESEND_API_KEY: "re_x" })).toHaveLength(1)
  })

  it("MAIL_FROM and RESEND_API_KEY give the Resend mailer, the key redacted", () => {
    const config = Either.getOrThrow(read({ MAIL_FROM: "Auth <auth@example.com>", RESEND_API_KEY: "re_123" }))
    expect(config.mailer._tag).toBe("Resend")
    if (config.mailer._tag !== "Resend") return
    expect(config.mailer.from).toBe("Auth <auth@example.com>")
    expect(Redacted.value(config.mailer.apiKey)).toBe("re_123")
    expect(String(config.mailer.apiKey)).not.toContain("re_123")
  })

  it("the outbox is for local development only: refused unless the worker's URL is a loopback address", () => {
    expect(problems({ MAILER: "outbox" })).toEqual([
      "MAILER=outbox serves every mail at /dev/outbox: only for local development (a localhost BETTER_AUTH_URL)"
    ])
    for (const url of ["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787"]) {
      expect(Either.getOrThrow(read({ MAILER: "outbox", BETTER_AUTH_URL: url })).mailer).toEqual({ _tag: "Outbox" })
    }
    // A look-alike host is not loopback.
    expect(problems({ MAILER: "outbox", BETTER_AUTH_URL: "http://localhost.attacker.example" })).toHaveLength(1)
  })

  it("MAILER=none turns mail off and needs nothing else; it refuses a verification that could never be confirmed", () => {
    expect(Either.getOrThrow(read({ MAILER: "none" })).mailer).toEqual({ _tag: "None" })
    expect(Either.getOrThrow(read({ MAILER: "none", EMAIL_VERIFICATION: "off" })).mailer).toEqual({ _tag: "None" })
    for (const verification of ["on-sign-up", "required"]) {
      expect(problems({ MAILER: "none", EMAIL_VERIFICATION: verification })).toEqual([
        "MAILER=none sends no mail, so EMAIL_VERIFICATION must be off (no address could be confirmed)"
      ])
    }
  })

  it("a worker made with its own mailer reads none of the mail settings", () => {
    expect(Either.getOrThrow(readConfig({ ...bindings, MAILER: "smtp" }, { mailerGiven: true })).mailer).toEqual({ _tag: "Given" })
  })

  it("an unknown mailer is named", () => {
    expect(problems({ MAILER: "smtp" })).toEqual(["MAILER must be resend, outbox or none (got \"smtp\")"])
  })
})

describe("passkey and sign-in method configuration", () => {
  const ok = { MAIL_FROM: "auth@example.com", RESEND_API_KEY: "re_1" }

  it("defaults: relying party from BETTER_AUTH_URL, verification off, magic-link sign-up on", () => {
    const config = Either.getOrThrow(read(ok))
    expect(config.passkey).toEqual({ rpID: "auth.example.com", origins: ["https://auth.example.com"] })
    expect(config.emailVerification).toBe("off")
    expect(config.magicLinkSignUp).toBe(true)
  })

  it("PASSKEY_RP_ID may be a parent domain of every PASSKEY_ORIGIN, nothing else", () => {
    const config = Either.getOrThrow(read({ ...ok, PASSKEY_RP_ID: "Example.com", PASSKEY_ORIGIN: "https://app.example.com, https://example.com/path" }))
    expect(config.passkey).toEqual({ rpID: "example.com", origins: ["https://app.example.com", "https://example.com"] })
    expect(problems({ ...ok, PASSKEY_RP_ID: "other.com" })).toEqual([
      "PASSKEY_RP_ID other.com is neither the host of https://auth.example.com nor a parent domain of it"
    ])
    expect(problems({ ...ok, PASSKEY_RP_ID: "ample.com", PASSKEY_ORIGIN: "https://example.com" })).toHaveLength(1)
    expect(problems({ ...ok, PASSKEY_ORIGIN: "app.example.com" })).toEqual([
      "PASSKEY_ORIGIN: \"app.example.com\" is not an absolute URL"
    ])
  })

  it("EMAIL_VERIFICATION and MAGIC_LINK_SIGN_UP take only their documented values", () => {
    expect(Either.getOrThrow(read({ ...ok, EMAIL_VERIFICATION: "required", MAGIC_LINK_SIGN_UP: "false" }))).toMatchObject({
      emailVerification: "required",
      magicLinkSignUp: false
    })
    expect(problems({ ...ok, EMAIL_VERIFICATION: "yes", MAGIC_LINK_SIGN_UP: "no" })).toEqual([
      "EMAIL_VERIFICATION must be off, on-sign-up or required",
      "MAGIC_LINK_SIGN_UP must be true or false"
    ])
  })
})
