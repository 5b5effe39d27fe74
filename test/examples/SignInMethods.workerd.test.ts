import { it } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import { apiClient, signUp } from "../http/helpers.js"

it.live("GET /api/actions/sign-in-methods: 401 without a token, 200 with one", () =>
  Effect.gen(function*() {
    const anonymous = yield* apiClient()
    const refused = yield* Effect.flip(anonymous.actions.signInMethods())
    expect(refused).toMatchObject({ _tag: "Unauthorized", error: "Missing bearer token" })

    const { token } = yield* Effect.promise(() => signUp())
    const signedIn = yield* apiClient(token)
    expect(yield* signedIn.actions.signInMethods()).toEqual({ methods: ["credential"] })
  }))
