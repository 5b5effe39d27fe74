import { describe, expect, it } from "vitest"
import { Option } from "effect"
import { bearerCredential } from "../../src/http/Authentication.js"

describe("bearerCredential", () => {
  it.each([
    ["Bearer abc123", "abc123"],
    ["bearer abc123", "abc123"],
    ["BEARER abc123", "abc123"],
    ["Bearer   abc123  ", "abc123"],
    ["Bearer tok.sig/+=", "tok.sig/+="],
    ["Bearer tok.sig%2F%3D", "tok.sig%2F%3D"]
  ])("%j carries %j", (header, credential) => {
    expect(bearerCredential(header)).toEqual(Option.some(credential))
  })

  it.each([
    [undefined],
    [""],
    ["Bearer"],
    ["Bearer "],
    ["Basic dXNlcjpwYXNz"],
    ["Bearerabc"],
    ["Bearer a b"],
    ["Bearer a,b"],
    ["Bearer <script>"],
    ["Token abc"]
  ])("%j carries none", (header) => {
    expect(bearerCredential(header)).toEqual(Option.none())
  })
})
