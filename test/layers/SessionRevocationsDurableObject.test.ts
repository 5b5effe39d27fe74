import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, TestClock } from "effect"
import * as SessionRevocationsDurableObject from "../../src/layers/SessionRevocationsDurableObject.js"
import { SessionRevocations } from "../../src/services/SessionRevocations.js"
import type { SessionRevocationsError, SessionRevocationsService } from "../../src/services/SessionRevocations.js"
import { revocationCases } from "./SessionRevocationsConformance.js"

const t0 = Date.UTC(2026, 10, 28, 12, 0, 0)

describe("SessionRevocations conformance: the Durable Object's rule, in memory", () => {
  for (const c of revocationCases) {
    it.effect(c.name, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(t0)
        const revocations = yield* SessionRevocations
        yield* c.run(revocations, (name) => `user-${name}`)
      }).pipe(Effect.provide(SessionRevocationsDurableObject.layerMemory)))
  }
})

/** A namespace whose one stub answers every request with `answer`, remembering what it was sent. */
const fakeNamespace = (answer: (body: unknown) => Promise<Response>) => {
  const sent: Array<{ readonly name: string; readonly body: unknown }> = []
  const namespace = {
    idFromName: (name: string) => ({ name }),
    get: (id: { readonly name: string }) => ({
      fetch: async (_url: string, init: RequestInit) => {
        const body = JSON.parse(String(init.body))
        sent.push({ name: id.name, body })
        return answer(body)
      }
    })
  }
  return { namespace: namespace as unknown as DurableObjectNamespace, sent }
}

const operations = (revocations: SessionRevocationsService): ReadonlyArray<readonly [string, Effect.Effect<unknown, SessionRevocationsError>]> => [
  ["check", revocations.check({ userId: "u1", sessionId: "s1", createdAt: t0 })],
  ["revoke", revocations.revoke({ userId: "u1", sessionId: "s1", expiresAt: t0 + 1000 })],
  ["revokeAll", revocations.revokeAll({ userId: "u1", at: t0, expiresAt: t0 + 1000 })]
]

describe("SessionRevocationsDurableObject client", () => {
  it.effect("asks the user's own object, with one small JSON command per operation", () =>
    Effect.gen(function*() {
      const { namespace, sent } = fakeNamespace(async (body) =>
        Response.json((body as { _tag: string })._tag === "Check" ? { status: "revoked" } : { done: true })
      )
      const revocations = SessionRevocationsDurableObject.make(namespace)
      expect(yield* revocations.check({ userId: "u1", sessionId: "s1", createdAt: t0 })).toBe("revoked")
      yield* revocations.revoke({ userId: "u2", sessionId: "s2", expiresAt: t0 + 1000 })
      yield* revocations.revokeAll({ userId: "u3", at: t0, expiresAt: t0 + 2000 })
      expect(sent).toEqual([
        { name: "u1", body: { _tag: "Check", sessionId: "s1", createdAt: t0 } },
        { name: "u2", body: { _tag: "Revoke", sessionId: "s2", expiresAt: t0 + 1000 } },
        { name: "u3", body: { _tag: "RevokeAll", at: t0, expiresAt: t0 + 2000 } }
      ])
    }))

  const faults: ReadonlyArray<readonly [string, DurableObjectNamespace, string]> = [
    ["the stub throws", fakeNamespace(() => Promise.reject(new Error("Durable Object reset"))).namespace, "unreachable: Durable Object reset"],
    ["the namespace throws", {
      idFromName: () => {
        throw new Error("no such namespace")
      }
    } as unknown as DurableObjectNamespace, "unreachable: no such namespace"],
    ["the object answers 500", fakeNamespace(async () => new Response("internal error", { status: 500 })).namespace, "answered 500"],
    ["the object answers 400", fakeNamespace(async () => Response.json({ error: "Invalid revocation command" }, { status: 400 })).namespace, "answered 400"],
    ["the object answers no JSON", fakeNamespace(async () => new Response("<html>oops</html>")).namespace, "answered no JSON"],
    ["the object answers JSON of another shape", fakeNamespace(async () => Response.json({ status: "maybe", done: false })).namespace, "an unknown shape"]
  ]

  for (const [name, namespace, message] of faults) {
    it.effect(`${name}: every operation fails with SessionRevocationsError Unavailable, never a defect`, () =>
      Effect.gen(function*() {
        for (const [operation, effect] of operations(SessionRevocationsDurableObject.make(namespace))) {
          const exit = yield* Effect.exit(effect)
          const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
          expect(Option.getOrUndefined(failure), operation).toMatchObject({ _tag: "SessionRevocationsError", reason: "Unavailable" })
          expect(Option.getOrThrow(failure).message, operation).toContain(message)
        }
      }))
  }
})
