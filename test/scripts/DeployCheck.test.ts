// The deploy check's rules (`scripts/DeployCheck.ts`), one refused setting at a time against a
// configuration ready to deploy: each is named in one line saying what to set, and nothing else is.
import { describe, expect, it } from "vitest"
import { problems } from "../../scripts/DeployCheck.js"
import type { DeployConfig } from "../../scripts/DeployCheck.js"

/** A production configuration as `wrangler.toml` would resolve it, every setting done. */
const ready: DeployConfig = {
  vars: {
    BETTER_AUTH_URL: "https://auth.example.com",
    TRUSTED_ORIGINS: "",
    MAILER: "resend",
    MAIL_FROM: "Example <auth@example.com>",
    SESSION_EXPIRES_IN: "604800",
    SESSION_UPDATE_AGE: "86400",
    EMAIL_VERIFICATION: "off",
    MAGIC_LINK_SIGN_UP: "true",
    PASSKEY_RP_ID: "",
    PASSKEY_ORIGIN: "",
    MAX_BODY_BYTES: "65536",
    RATE_LIMIT_BACKEND: "kv",
    METRICS_ENABLED: "false"
  },
  kv_namespaces: [{ binding: "KV", id: "3f0e8a1c9b2d4e5fa6b7c8d9e0f1a2b3" }],
  d1_databases: [{ binding: "DB", database_name: "edge-auth-state", database_id: "8c5e1f0a-2b3c-4d5e-8f9a-0b1c2d3e4f5a" }],
  durable_objects: { bindings: [{ name: "RATE_LIMITER" }, { name: "SESSION_REVOCATIONS" }] },
  ratelimits: [{ name: "RATE_LIMIT_5_PER_60S" }]
}
const secrets = ["BETTER_AUTH_SECRET", "RESEND_API_KEY"]
const withVars = (vars: Readonly<Record<string, unknown>>, config: DeployConfig = ready): DeployConfig => ({
  ...config,
  vars: { ...config.vars, ...vars }
})

const publicUrl = "set it in [vars] to the worker's public https URL, e.g. https://auth.example.com"

describe("the deploy check", () => {
  it("passes a configuration ready for production, and one with mail turned off and no mail key", () => {
    expect(problems(ready, secrets)).toEqual([])
    expect(problems(withVars({ MAILER: "none", MAIL_FROM: "" }), ["BETTER_AUTH_SECRET"])).toEqual([])
    // Names of other secrets are no concern of it.
    expect(problems(ready, [...secrets, "SOMETHING_ELSE"])).toEqual([])
  })

  it("refuses a loopback BETTER_AUTH_URL, however spelled", () => {
    for (const url of ["http://localhost:8787", "https://localhost", "http://127.0.0.1:8787", "https://127.3.2.1", "http://[::1]:8787", "https://app.localhost"]) {
      expect(problems(withVars({ BETTER_AUTH_URL: url }), secrets)).toEqual([`BETTER_AUTH_URL is ${url}, a loopback address: ${publicUrl}`])
    }
  })

  it("refuses a BETTER_AUTH_URL that is not https, or not a URL", () => {
    expect(problems(withVars({ BETTER_AUTH_URL: "http://auth.example.com" }), secrets)).toEqual([
      `BETTER_AUTH_URL is http://auth.example.com, not https: ${publicUrl}`
    ])
    expect(problems(withVars({ BETTER_AUTH_URL: "auth.example.com" }), secrets)).toEqual(["BETTER_AUTH_URL must be an absolute URL"])
    expect(problems({ ...ready, vars: { MAIL_FROM: "auth@example.com" } }, secrets)).toEqual(["BETTER_AUTH_URL is not set"])
  })

  it("refuses the placeholder ids wrangler.toml ships with, and any id that is not 32 hex digits", () => {
    const kv = (id: string | undefined) => problems({ ...ready, kv_namespaces: [{ binding: "KV", id }] }, secrets)
    const d1 = (id: string | undefined) => problems({ ...ready, d1_databases: [{ binding: "DB", database_name: "edge-auth-state", database_id: id }] }, secrets)
    const kvFix = "set its id in [[kv_namespaces]] to the one `wrangler kv namespace create KV` prints"
    const d1Fix = "set its database_id in [[d1_databases]] to the one `wrangler d1 create edge-auth-state` prints"
    expect(kv("00000000000000000000000000000000")).toEqual([`KV namespace KV has the placeholder id 00000000000000000000000000000000: ${kvFix}`])
    expect(kv("my-namespace")).toEqual([`KV namespace KV has the id "my-namespace", which is not 32 hex digits: ${kvFix}`])
    expect(kv("3f0e8a1c9b2d4e5fa6b7c8d9e0f1a2b")).toHaveLength(1)
    expect(kv(undefined)).toEqual([`KV namespace KV has no id: ${kvFix}`])
    expect(d1("00000000-0000-0000-0000-000000000000")).toEqual([`D1 database DB has the placeholder id 00000000-0000-0000-0000-000000000000: ${d1Fix}`])
    expect(d1("edge-auth-state")).toEqual([`D1 database DB has the id "edge-auth-state", which is not 32 hex digits: ${d1Fix}`])
    expect(d1("")).toEqual([`D1 database DB has no id: ${d1Fix}`])
    // A database id as wrangler prints it (a UUID) or without its hyphens.
    expect(d1("8C5E1F0A-2B3C-4D5E-8F9A-0B1C2D3E4F5A")).toEqual([])
    expect(d1("8c5e1f0a2b3c4d5e8f9a0b1c2d3e4f5a")).toEqual([])
  })

  it("refuses a missing secret: BETTER_AUTH_SECRET always, RESEND_API_KEY for the Resend mailer (the default)", () => {
    expect(problems(ready, ["RESEND_API_KEY"])).toEqual(["BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)"])
    expect(problems(ready, ["BETTER_AUTH_SECRET"])).toEqual(["RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)"])
    const { MAILER: _, ...byDefault } = ready.vars
    expect(problems({ ...ready, vars: byDefault }, ["BETTER_AUTH_SECRET"])).toEqual(["RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)"])
    expect(problems(withVars({ MAILER: "none" }), [])).toEqual(["BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)"])
    // Secrets not listed (--skip-secrets): not checked.
    expect(problems(ready, undefined)).toEqual([])
  })

  it("refuses a secret written in [vars], and does not count it as set", () => {
    expect(problems(withVars({ BETTER_AUTH_SECRET: "a-secret-of-at-least-thirty-two-characters" }), ["RESEND_API_KEY"])).toEqual([
      "BETTER_AUTH_SECRET is in [vars], readable by anyone with the repository: remove it there and `wrangler secret put BETTER_AUTH_SECRET`",
      "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)"
    ])
  })

  it("refuses an unknown mailer, the outbox, and the Resend mailer without MAIL_FROM", () => {
    expect(problems(withVars({ MAILER: "smtp" }), secrets)).toEqual(["MAILER must be resend, outbox or none (got \"smtp\")"])
    expect(problems(withVars({ MAILER: "outbox" }), secrets)).toEqual([
      "MAILER=outbox serves every mail at /dev/outbox, for local development only: set MAILER in [vars] to resend (or none for no mail)"
    ])
    expect(problems(withVars({ MAIL_FROM: "" }), secrets)).toEqual([
      "MAIL_FROM is not set: set it in [vars] to the sender of sign-in mail, e.g. \"Example <auth@example.com>\" on a domain verified with Resend (or MAILER=none for no mail)"
    ])
  })

  it("names everything wrong at once, with the worker's other start-up problems", () => {
    const shipped: DeployConfig = {
      ...withVars({ BETTER_AUTH_URL: "http://localhost:8787", MAIL_FROM: "", EMAIL_VERIFICATION: "yes" }),
      kv_namespaces: [{ binding: "KV", id: "00000000000000000000000000000000" }],
      d1_databases: []
    }
    expect(problems(shipped, [])).toEqual([
      "KV namespace KV has the placeholder id 00000000000000000000000000000000: set its id in [[kv_namespaces]] to the one `wrangler kv namespace create KV` prints",
      "D1 database binding `DB` is missing",
      "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)",
      "EMAIL_VERIFICATION must be off, on-sign-up or required",
      `BETTER_AUTH_URL is http://localhost:8787, a loopback address: ${publicUrl}`,
      expect.stringMatching(/^MAIL_FROM is not set: set it in \[vars\]/),
      "RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY)"
    ])
  })

  it("names an environment's own sections and commands", () => {
    const staging: DeployConfig = { ...withVars({ BETTER_AUTH_URL: "http://localhost:8787" }), env: "staging", kv_namespaces: [{ binding: "KV", id: "0" }] }
    expect(problems(staging, [])).toEqual([
      "KV namespace KV has the placeholder id 0: set its id in [[env.staging.kv_namespaces]] to the one `wrangler kv namespace create KV` prints",
      "BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET --env staging)",
      "BETTER_AUTH_URL is http://localhost:8787, a loopback address: set it in [env.staging.vars] to the worker's public https URL, e.g. https://auth.example.com",
      "RESEND_API_KEY is not set (wrangler secret put RESEND_API_KEY --env staging)"
    ])
    expect(problems({ ...withVars({ RESEND_API_KEY: "re_1" }), env: "staging" }, secrets)).toEqual([
      "RESEND_API_KEY is in [env.staging.vars], readable by anyone with the repository: remove it there and `wrangler secret put RESEND_API_KEY --env staging`"
    ])
  })
})
