import { describe, expect, it } from "vitest"
import { Duration } from "effect"
import { clientBucket, ipBucket } from "../../src/http/ratelimit/ClientAddress.js"
import { normalizeEndpoint } from "../../src/http/ratelimit/Endpoint.js"
import { rateLimitFields } from "../../src/http/ratelimit/Headers.js"
import { defaultRules, matchRule } from "../../src/http/ratelimit/Rules.js"
import { passwordBudgets } from "../../src/http/ratelimit/Rules.js"

describe("normalizeEndpoint: variants of one route share one bucket", () => {
  it.each([
    "/api/auth/sign-in/email",
    "/API/AUTH/SIGN-IN/EMAIL",
    "/api/auth/sign-in/email/",
    "//api//auth///sign-in/email//",
    "/api/auth/sign%2Din/email",
    "/api/auth/sign-in%2Femail",
    "/api/auth/sign-in%252Femail",
    "/api/auth/./sign-in/email",
    "/api/auth/x/../sign-in/email",
    "/api/auth/sign-in/email;jsessionid=1",
    "/api\\auth\\sign-in\\email"
  ])("%s", (path) => {
    expect(normalizeEndpoint(path)).toBe("/api/auth/sign-in/email")
    expect(matchRule(defaultRules, normalizeEndpoint(path))?.name).toBe("sign-in")
  })

  it("the fast path for plain paths agrees with the full normalisation", () => {
    for (const path of ["/", "/a", "/A/B/", "//x//Y///", "/api/auth/Sign-In/email/", "/api//me", "/__proto__/x"]) {
      // A trailing "/." means nothing but forces the full path.
      expect(normalizeEndpoint(path)).toBe(normalizeEndpoint(`${path}/.`))
    }
  })

  it("survives malformed percent-encoding", () => {
    expect(normalizeEndpoint("/api/auth/%E0%A4%A/sign-up/email")).toMatch(/^\/api\/auth\//)
    expect(normalizeEndpoint("/%")).toBe("/%")
  })

  it("matches whole segments only", () => {
    expect(matchRule(defaultRules, "/api/auth/sign-in-please")?.name).toBe("auth")
    expect(matchRule(defaultRules, "/api/authx")).toBeUndefined()
    expect(matchRule(defaultRules, "/api/me")).toBeUndefined()
    expect(matchRule(defaultRules, "/api/auth")?.name).toBe("auth")
    expect(matchRule(defaultRules, "/api/auth/request-password-reset")?.name).toBe("password-reset-request")
    expect(matchRule(defaultRules, "/api/auth/reset-password/abc")?.name).toBe("password-reset")
    expect(matchRule(defaultRules, "/api/auth/sign-up/email")?.name).toBe("sign-up")
    expect(matchRule(defaultRules, "/api/auth/sign-in/magic-link")?.name).toBe("magic-link")
    expect(matchRule(defaultRules, normalizeEndpoint("/API/auth//sign-in/Magic%2DLink/"))?.name).toBe("magic-link")
    expect(matchRule(defaultRules, "/api/auth/magic-link/verify")?.name).toBe("magic-link-verify")
    expect(matchRule(defaultRules, "/api/auth/send-verification-email")?.name).toBe("verification-email")
    expect(matchRule(defaultRules, "/api/auth/passkey/verify-authentication")?.name).toBe("passkey")
  })
})

describe("client IP", () => {
  it("comes from CF-Connecting-IP; X-Forwarded-For is ignored unless trusted", () => {
    expect(clientBucket({ "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "198.51.100.1" }, false)).toBe("203.0.113.7")
    expect(clientBucket({ "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "198.51.100.1" }, true)).toBe("203.0.113.7")
    expect(clientBucket({ "x-forwarded-for": "198.51.100.1" }, false)).toBe("unknown")
    expect(clientBucket({ "x-forwarded-for": "198.51.100.1, 10.0.0.1" }, true)).toBe("198.51.100.1")
    expect(clientBucket({}, false)).toBe("unknown")
  })

  it("an unparseable address falls into the shared bucket, never a fresh one", () => {
    expect(clientBucket({ "cf-connecting-ip": "not an ip" }, false)).toBe("unknown")
    expect(clientBucket({ "cf-connecting-ip": "1.2.3.4:sign-up" }, false)).toBe("unknown")
    expect(clientBucket({ "cf-connecting-ip": "999.1.1.1" }, false)).toBe("unknown")
  })

  it("IPv6 addresses are bucketed by their /64", () => {
    expect(ipBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64")
    expect(ipBucket("2001:DB8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64")
    expect(ipBucket("::1")).toBe("0:0:0:0::/64")
    expect(ipBucket("::ffff:192.0.2.1")).toBe("192.0.2.1")
    expect(ipBucket("::ffff:c000:201")).toBe("192.0.2.1")
    expect(ipBucket("1::2::3")).toBeUndefined()
    expect(ipBucket("12345::")).toBeUndefined()
  })
})

describe("RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11)", () => {
  it("states the policy and what is left of it", () => {
    const rule = defaultRules.find((r) => r.name === "sign-in")!
    const decision = { allowed: true, limit: 5, remaining: 3, resetAfter: Duration.millis(36_200) }
    expect(rateLimitFields([{ name: rule.name, policy: rule.policy, decision }])).toEqual({
      "ratelimit-policy": `"sign-in";q=5;w=60`,
      ratelimit: `"sign-in";r=3;t=37`
    })
    expect(rateLimitFields([
      { name: "sign-in", policy: rule.policy, decision },
      { name: "password-account", policy: passwordBudgets.account.policy, decision: { ...decision, remaining: 1 } }
    ])).toEqual({
      "ratelimit-policy": `"sign-in";q=5;w=60, "password-account";q=5;w=60`,
      ratelimit: `"sign-in";r=3;t=37, "password-account";r=1;t=37`
    })
  })
})
