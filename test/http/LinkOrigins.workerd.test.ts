/**
 * Where the links in mails point never depends on the request's headers: every link is built on
 * BETTER_AUTH_URL or a configured TRUSTED_ORIGINS entry, whatever Host, X-Forwarded-Host, Forwarded
 * or Origin the request carried. A spoofed Host is what `wrangler dev`, a proxy passing `Host` on,
 * or a DNS-rebinding page produces.
 */
import { env, SELF } from "cloudflare:test"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { appOf } from "./app.js"
import { readConfig } from "../../src/http/Config.js"
import { freshIp, origin } from "./helpers.js"
import { mailTo } from "./outbox.js"

const evil = "http://evil.example"

/** The ways a client can name another host than the worker's. */
const spoofs: ReadonlyArray<{ readonly name: string; readonly url: string; readonly headers: Record<string, string> }> = [
  { name: "Host", url: evil, headers: { origin: evil } },
  { name: "Host and no Origin", url: evil, headers: {} },
  { name: "X-Forwarded-Host", url: origin, headers: { origin, "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" } },
  { name: "Forwarded", url: origin, headers: { origin, forwarded: "host=evil.example;proto=http" } },
  { name: "Origin", url: origin, headers: { origin: evil } }
]

/** The requests that send a mail, each naming a callback on the spoofed host or none. */
const mailRequests = (email: string, callback: string | undefined): ReadonlyArray<{ readonly path: string; readonly body: unknown }> => [
  { path: "/api/auth/sign-in/magic-link", body: { email, ...(callback ? { callbackURL: callback } : {}) } },
  { path: "/api/auth/sign-in/magic-link", body: { email, metadata: { link: "page" }, ...(callback ? { callbackURL: callback } : {}) } },
  { path: "/api/auth/request-password-reset", body: { email, ...(callback ? { redirectTo: callback } : {}) } },
  { path: "/api/auth/send-verification-email", body: { email, ...(callback ? { callbackURL: callback } : {}) } }
]

const post = (fetcher: (request: Request) => Promise<Response>, base: string, path: string, body: unknown, headers: Record<string, string>) =>
  fetcher(
    new Request(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp(), ...headers },
      body: JSON.stringify(body)
    })
  )

const signUpWith = async (fetcher: (request: Request) => Promise<Response>, base: string) => {
  const email = `links-${crypto.randomUUID()}@example.com`
  const response = await post(fetcher, base, "/api/auth/sign-up/email", { email, password: "correct-horse-battery", name: "L" }, { origin: base })
  expect(response.status).toBe(200)
  return email
}

/**
 * Sends every mail request with every spoof, and checks that each mail's every link is on one of
 * `allowed`; a refused request sent no mail.
 */
const everyLinkOn = async (
  fetcher: (request: Request) => Promise<Response>,
  base: string,
  allowed: ReadonlyArray<string>,
  spoofed: typeof spoofs
) => {
  // The outbox answers a loopback host only, whatever the worker's own URL.
  const read = (path: string) => fetcher(new Request(`http://localhost${path}`, { headers: { "cf-connecting-ip": freshIp() } }))
  for (const spoof of spoofed) {
    for (const callback of [undefined, `${evil}/app`, "/app"]) {
      const email = await signUpWith(fetcher, base)
      for (const { body, path } of mailRequests(email, callback)) {
        const before = (await mailTo(email, read)).length
        const answer = await post(fetcher, spoof.url, path, body, spoof.headers)
        const mails = await mailTo(email, read)
        const sent = mails.slice(0, mails.length - before)
        const where = `${spoof.name} ${path} ${JSON.stringify(body)}`
        expect([where, answer.status < 500]).toEqual([where, true])
        if (answer.status !== 200) expect([where, sent]).toEqual([where, []])
        for (const link of sent.flatMap((mail) => mail.links)) {
          expect([where, allowed.includes(new URL(link).origin)]).toEqual([where, true])
        }
        // A callback on the spoofed host is never accepted.
        if (callback?.startsWith(evil)) expect([where, answer.status]).toEqual([where, 403])
      }
    }
  }
}

describe("links in mails come from configuration only", { timeout: 120_000 }, () => {
  it("on a loopback worker (local development): every mail's links are on BETTER_AUTH_URL, whatever the request named", async () => {
    await everyLinkOn((request) => SELF.fetch(request), origin, [origin], spoofs)
  })

  it("on a deployed worker: every mail's links are on BETTER_AUTH_URL or TRUSTED_ORIGINS, whatever the request named", async () => {
    const base = "https://auth.example.com"
    const app = appOf({
      ...Either.getOrThrow(readConfig(env)),
      baseURL: base,
      trustedOrigins: ["https://app.example.com"],
      passkey: { rpID: "auth.example.com", origins: [base] }
    })
    try {
      // The request reaches the worker on its own host too: a spoofed Origin or forwarded header there.
      const deployedSpoofs = spoofs.map((spoof) => (spoof.url === origin ? { ...spoof, url: base, headers: { ...spoof.headers, ...(spoof.headers.origin === origin ? { origin: base } : {}) } } : spoof))
      await everyLinkOn(app.handler, base, [base, "https://app.example.com"], deployedSpoofs)
    } finally {
      await app.dispose()
    }
  })

  it("a loopback worker trusts the loopback origin it was reached on (development on another port), and no other host", async () => {
    const email = await signUpWith((request) => SELF.fetch(request), origin)
    const other = "http://127.0.0.1:9911"
    const onOtherPort = await post((request) => SELF.fetch(request), other, "/api/auth/sign-in/magic-link", {
      email,
      metadata: { link: "page" },
      callbackURL: `${other}/app`
    }, { origin: other })
    expect(onOtherPort.status).toBe(200)
    const [mail] = await mailTo(email, (path) => SELF.fetch(`${origin}${path}`))
    expect(mail!.links).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:9911\/app#magic-link-token=/)])
  })
})

describe("/dev/outbox answers a loopback Host only", () => {
  it("refuses any other host (a DNS-rebinding page reading every mail)", async () => {
    for (const host of ["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787", "http://localhost"]) {
      expect([host, (await SELF.fetch(`${host}/dev/outbox`)).status]).toEqual([host, 200])
    }
    for (const host of [evil, "http://localhost.evil.example:8787", "http://127.0.0.1.nip.io:8787", "http://0.0.0.0:8787"]) {
      const answer = await SELF.fetch(`${host}/dev/outbox`, { headers: { origin: host } })
      expect([host, answer.status, await answer.json()]).toEqual([host, 404, { error: "Not found" }])
    }
  })
})
