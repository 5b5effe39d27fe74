import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as Action from "../../src/http/Action.js"

const action = (path: `/${string}`) =>
  Action.make(HttpApiEndpoint.get("same", path).addSuccess(Schema.String), () => Effect.succeed("ok"))

describe("Action.group", () => {
  it("holds every action's endpoint", () => {
    const group = Action.group("g", [action("/a"), Action.make(HttpApiEndpoint.get("other", "/b").addSuccess(Schema.String), () => Effect.succeed("b"))])
    expect(Object.keys(group.endpoints).sort()).toEqual(["other", "same"])
  })

  it("refuses two endpoints of one name, naming it, instead of dropping one", () => {
    expect(() => Action.group("g", [action("/a"), action("/b")])).toThrow(`Two actions in the "g" group are named "same"`)
  })
})
