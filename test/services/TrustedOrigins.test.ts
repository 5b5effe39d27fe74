import { betterAuth } from "better-auth"
import { Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { readConfig } from "../../src/http/Config.js"
import * as TrustedOrigins from "../../src/services/TrustedOrigins.js"

const baseURL = "http://localhost:8787"
const configured = ["https://app.example.com", "http://localhost:5173", "https://*.preview.example.net", "https://*.example.org:8443"]
const trust = TrustedOrigins.TrustedOrigins.make({ baseURL, origins: configured })
const workerUrl = "http://127.0.0.1:8811/api/auth/sign-in/email"

/** Origins a browser could send (canonical), trusted or not, including lookalikes of each entry. */
const corpus = [
  "https://app.example.com",
  "http://app.example.com",
  "https://app.example.com:444",
  "https://app.example.com.evil.com",
  "https://evilapp.example.com",
  "https://app.example.co",
  "https://example.com",
  "http://localhost:5173",
  "http://localhost:5174",
  "http://localhost",
  "https://localhost:5173",
  "http://127.0.0.1:5173",
  "https://a.preview.example.net",
  "https://a.b.preview.example.net",
  "https://preview.example.net",
  "https://apreview.example.net",
  "http://a.preview.example.net",
  "https://a.preview.example.net:8443",
  "https://a.preview.example.net.evil.com",
  "https://x.example.org:8443",
  "https://x.example.org",
  "https://example.org:8443",
  "http://localhost:8787",
  "http://localhost:8788",
  "https://localhost:8787",
  "http://127.0.0.1:8787"
]

describe("TRUSTED_ORIGINS", () => {
  it("reads comma-separated origins into the form browsers send, ignoring spaces and empty entries", () => {
    expect(TrustedOrigins.parse(" https://App.Example.com , http://localhost:5173,,https://*.example.com:443/ ,https://a.test:8443")).toEqual({
      origins: ["https://app.example.com", "http://localhost:5173", "https://*.example.com", "https://a.test:8443"],
      problems: []
    })
    expect(TrustedOrigins.parse("")).toEqual({ origins: [], problems: [] })
  })

  it("names every entry that is not an origin, trusts too much, or has a path", () => {
    const bad = ["*", "null", "app.example.com", "https://app.example.com/app", "https://app.example.com?x", "https://a@app.example.com", "ftp://files.example.com", "https://*.com", "https://*", "https://a.*.example.com", "https://*.0.0.1", "https://*example.com"]
    const { origins, problems } = TrustedOrigins.parse(bad.join(","))
    expect(origins).toEqual([])
    expect(problems).toHaveLength(bad.length)
    bad.forEach((entry, i) => expect(problems[i]).toContain(`\`${entry}\``))
    expect(problems[0]).toContain("would trust every page")
    expect(problems[3]).toContain("has a path")
  })

  it("loopback is this machine however it is spelled, and nothing that only looks like it", () => {
    const loopback = [
      "http://localhost:8787", "http://LOCALHOST.", "https://app.localhost", "http://127.0.0.1:8787", "http://127.1",
      "http://0x7f000001", "http://127.255.0.9", "http://[::1]:8787", "http://[0:0:0:0:0:0:0:1]", "http://[::ffff:127.0.0.1]"
    ]
    const not = [
      "https://localhost.attacker.example", "https://evillocalhost", "http://127.0.0.1.nip.io", "http://128.0.0.1",
      "http://10.0.0.1", "http://[::2]", "http://[::ffff:10.0.0.1]", "https://auth.example.com", "localhost", "not a url"
    ]
    expect(loopback.filter((url) => !TrustedOrigins.isLoopback(url))).toEqual([])
    expect(not.filter((url) => TrustedOrigins.isLoopback(url))).toEqual([])
  })

  it("a misconfigured value is a start-up problem, named with the others", () => {
    const env = { KV: {}, DB: {}, MAILER: "outbox", BETTER_AUTH_SECRET: "s".repeat(32), BETTER_AUTH_URL: baseURL }
    expect(Either.getLeft(readConfig({ ...env, TRUSTED_ORIGINS: "https://ok.example.com,https://a.example.com/path,*" }))).toEqual(
      Option.some([
        "KV namespace binding `KV` is missing",
        "D1 database binding `DB` is missing",
        expect.stringContaining("`https://a.example.com/path` has a path"),
        expect.stringContaining("`*` would trust every page")
      ])
    )
    expect(Either.getLeft(readConfig({ ...env, TRUSTED_ORIGINS: ["https://a.example.com"] }))).toEqual(
      Option.some(expect.arrayContaining(["TRUSTED_ORIGINS must be a string of comma-separated origins"]))
    )
  })

  it("trusts the configured entries, the worker's origin and, in local development, the request's own loopback origin; nothing that looks like them", () => {
    const trusted = corpus.filter((origin) => trust.isTrusted(origin, workerUrl))
    expect(trusted).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
      "https://a.preview.example.net",
      "https://a.b.preview.example.net",
      "https://x.example.org:8443",
      "http://localhost:8787"
    ])
    // Same origin, on a loopback worker: the loopback origin the request was sent to, on any port; nothing next to it.
    expect(trust.isTrusted("http://127.0.0.1:8811", workerUrl)).toBe(true)
    for (const other of ["http://127.0.0.1:8812", "http://127.0.0.1:881", "https://127.0.0.1:8811", "http://127.0.0.1:8811.evil.com", "http://127.0.0.2:8811", "null"]) {
      expect([other, trust.isTrusted(other, workerUrl)]).toEqual([other, false])
    }
  })

  it("never trusts the request's own origin because the client chose it: not on a deployed worker, not a non-loopback host in development", () => {
    const deployed = TrustedOrigins.TrustedOrigins.make({ baseURL: "https://auth.example.com", origins: configured })
    expect(deployed.isTrusted("https://auth.example.com", "https://auth.example.com/api/me")).toBe(true)
    for (const [origin, url] of [
      ["https://evil.example", "https://evil.example/api/auth/sign-in/magic-link"],
      ["http://localhost:8787", "http://localhost:8787/api/me"],
      ["http://127.0.0.1:8811", workerUrl]
    ] as const) {
      expect([origin, deployed.isTrusted(origin, url)]).toEqual([origin, false])
      expect(TrustedOrigins.forBetterAuth({ baseURL: "https://auth.example.com", origins: configured })(new Request(url))).toEqual(configured)
    }
    // A loopback worker trusts loopback origins only: a spoofed Host is a non-loopback origin.
    expect(trust.isTrusted("http://evil.example", "http://evil.example/api/me")).toBe(false)
    expect(TrustedOrigins.forBetterAuth({ baseURL, origins: configured })(new Request("http://evil.example/api/auth/x"))).toEqual(configured)
  })

  it("refuses an Origin header that is not an origin as browsers write it", () => {
    for (const header of ["https://app.example.com/", "https://APP.example.com", "https://app.example.com:443", "https://app.example.com/x", "", "null", "app.example.com"]) {
      expect([header, trust.isTrusted(header, workerUrl)]).toEqual([header, false])
    }
  })

  it("decides as Better Auth decides, given the same setting", async () => {
    const auth = betterAuth({
      baseURL,
      secret: "0f1d6c2b9e8a7d6c5b4a39281716051403f2e1d0c9b8a7f6",
      trustedOrigins: TrustedOrigins.forBetterAuth({ baseURL, origins: configured }),
      telemetry: { enabled: false }
    })
    const context = await auth.$context
    for (const origin of corpus) {
      expect([origin, trust.isTrusted(origin, "http://localhost:8787/api/me")]).toEqual([origin, context.isTrustedOrigin(origin)])
    }
    // Better Auth adds the request's own loopback origin the same way.
    expect(TrustedOrigins.forBetterAuth({ baseURL, origins: configured })(new Request(workerUrl))).toEqual([...configured, "http://127.0.0.1:8811"])
  })

  it("for Better Auth, reads nothing of a request but its URL, and answers at once (BetterAuth.routedHandler keeps a router per list it answers)", () => {
    const trusted = TrustedOrigins.forBetterAuth({ baseURL, origins: configured })
    const requests = [
      new Request("http://localhost:9000/api/auth/sign-in/email"),
      new Request("http://localhost:9000/api/auth/get-session?x=1#f", { headers: { origin: "https://evil.example", host: "other.example" } }),
      new Request("http://localhost:9000/API/AUTH/", {
        method: "POST",
        body: "{}",
        headers: { "x-forwarded-host": "evil.example", forwarded: "host=evil.example;proto=https" }
      })
    ]
    const answers = requests.map((request) => trusted(request))
    for (const answer of answers) {
      expect(Array.isArray(answer)).toBe(true)
      expect(answer).toEqual([...configured, "http://localhost:9000"])
    }
    // An origin already configured is not listed twice.
    expect(trusted(new Request("http://localhost:5173/api/auth/ok"))).toEqual(configured)
  })
})
