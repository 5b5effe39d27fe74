/**
 * The "pre-hijacked account": someone signs up the victim's address before the victim does (the
 * address unproven), and plants credentials on it: a password, a passkey, sessions. When the owner
 * later proves the address (a magic link, the verification link, a password reset), every
 * credential from before that proof is gone, and the owner sees only their own.
 */
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { call, me, postJson, signUp } from "./helpers.js"
import { mailTo, pathOf } from "./outbox.js"
import { register, signInWith } from "./passkeys.js"

const attackerPassword = "correct-horse-battery"
const signIn = (email: string, password: string) => postJson("/api/auth/sign-in/email", { email, password })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The attacker's head start: the victim's address signed up, a passkey registered, two sessions. */
const plant = async () => {
  const { email, token, userId } = await signUp("victim")
  const second = await signIn(email, attackerPassword)
  expect(second.status).toBe(200)
  const { token: other } = (await second.json()) as { token: string }
  const { credential, verified } = await register(token)
  expect(verified.status).toBe(200)
  expect(await env.DB.prepare(`select "emailVerified" as v from "user" where id = ?1`).bind(userId).first("v")).toBe(0)
  return { email, userId, credential, sessions: [token, other] }
}

/** The last link mailed to `email`. */
const lastLink = async (email: string) => (await mailTo(email))[0]!.links[0]!

/** Each way the owner proves the address; each answers the owner's own Bearer token. */
const claims: ReadonlyArray<{ readonly name: string; readonly claim: (email: string) => Promise<string>; readonly passwordAfter: "none" | "owner's" | "kept" }> = [
  {
    name: "a magic link",
    passwordAfter: "none",
    claim: async (email) => {
      expect((await postJson("/api/auth/sign-in/magic-link", { email })).status).toBe(200)
      const followed = await call(pathOf(await lastLink(email)), { redirect: "manual" })
      return followed.headers.get("set-auth-token")!
    }
  },
  {
    name: "the verification link",
    // A verification link confirms the sign-up it was sent for: the password chosen then stays.
    passwordAfter: "kept",
    claim: async (email) => {
      expect((await postJson("/api/auth/send-verification-email", { email })).status).toBe(200)
      const followed = await call(pathOf(await lastLink(email)), { redirect: "manual" })
      return followed.headers.get("set-auth-token")!
    }
  },
  {
    name: "a password reset",
    passwordAfter: "owner's",
    claim: async (email) => {
      expect((await postJson("/api/auth/request-password-reset", { email, redirectTo: "/reset" })).status).toBe(200)
      const followed = await call(pathOf(await lastLink(email)), { redirect: "manual" })
      const token = new URL(followed.headers.get("location")!).searchParams.get("token")!
      expect((await postJson("/api/auth/reset-password", { newPassword: "the-owners-own-password", token })).status).toBe(200)
      const signedIn = await signIn(email, "the-owners-own-password")
      expect(signedIn.status).toBe(200)
      return signedIn.headers.get("set-auth-token")!
    }
  }
]

describe("claiming an address ends every credential planted before the proof", { timeout: 60_000 }, () => {
  for (const { claim, name, passwordAfter } of claims) {
    it(`with ${name}: the planted passkey, sessions${passwordAfter === "kept" ? "" : " and password"} no longer work; the owner sees only their own`, async () => {
      const planted = await plant()
      const owner = await claim(planted.email)
      expect(owner).toBeTruthy()
      expect(await (await me(`Bearer ${owner}`)).json()).toMatchObject({ user: { id: planted.userId, emailVerified: true } })

      // The planted passkey signs nobody in, and is gone from the account.
      const { answer } = await signInWith(planted.credential)
      expect(answer.status).toBeGreaterThanOrEqual(400)
      expect(answer.status).toBeLessThan(500)
      expect(answer.headers.get("set-auth-token")).toBeNull()
      const passkeys = await call("/api/auth/passkey/list-user-passkeys", { headers: bearer(owner) })
      expect(await passkeys.json()).toEqual([])

      // The planted sessions are over; the owner's is the only one listed.
      for (const token of planted.sessions) expect((await me(`Bearer ${token}`)).status).toBe(401)
      const sessions = (await (await call("/api/auth/list-sessions", { headers: bearer(owner) })).json()) as Array<{ token: string }>
      expect(sessions).toHaveLength(1)

      const withPlantedPassword = await signIn(planted.email, attackerPassword)
      expect(withPlantedPassword.status).toBe(passwordAfter === "kept" ? 200 : 401)

      // The owner's own passkey, added after the proof, works.
      const { credential, verified } = await register(owner)
      expect(verified.status).toBe(200)
      expect((await signInWith(credential)).answer.status).toBe(200)
    })
  }

  it("a claim of an address already proven ends nothing: a verified account's passkeys stay through a magic-link sign-in", async () => {
    const planted = await plant()
    await (async () => {
      expect((await postJson("/api/auth/sign-in/magic-link", { email: planted.email })).status).toBe(200)
      await call(pathOf(await lastLink(planted.email)), { redirect: "manual" })
    })()
    // Verified now; the owner's passkey and a second magic-link sign-in.
    const owner = await claims[0]!.claim(planted.email)
    const { credential } = await register(owner)
    const again = await claims[0]!.claim(planted.email)
    expect(again).toBeTruthy()
    expect((await signInWith(credential)).answer.status).toBe(200)
    expect((await me(`Bearer ${owner}`)).status).toBe(200)
  })
})
