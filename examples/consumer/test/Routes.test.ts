// The whole app in one line (the library's routes and middleware with this project's action, over
// the test kit), called through its typed client.
import { describe, expect, it } from "@effect/vitest"
import { TestApp, TestKit } from "edge-auth-state/testing"
import { Effect } from "effect"
import * as Members from "../src/actions/Members.js"

const app = TestApp.make({ actions: [Members.action], database: TestKit.fakeDatabase(() => [{ members: 7 }]) })

describe("routes", () => {
  it.effect("the signed-in test user reads the count", () =>
    Effect.gen(function*() {
      const client = yield* app.client(TestKit.testToken)
      expect((yield* client.actions.members()).members).toBe(7)
    }))

  it.effect("without a session: 401 JSON", () =>
    Effect.gen(function*() {
      const response = yield* Effect.promise(() => app.fetch(`${TestApp.origin}/api/actions/members`))
      expect(response.status).toBe(401)
      expect(yield* Effect.promise(() => response.json())).toMatchObject({ error: expect.any(String) })
    }))
})
