/**
 * The Better Auth options this project runs with: email and password (with password reset and
 * address verification by mail), magic links, passkeys and the bearer plugin; users, accounts,
 * passkeys and single-use tokens in D1 (native binding), sessions in KV through the session store.
 *
 * KV has no atomic operations, so Better Auth is configured never to need `getAndDelete` or
 * `increment`: verification values are consumed from D1 (`verification.storeInDatabase`) and its
 * built-in rate limiter is off (this project's rate limiter guards the auth routes).
 *
 * Everything that connects Better Auth to the rest of the worker comes in as `Ports`: the session
 * store, the guard, mail and the request's state. Without them (`npm run db:generate`) the options
 * still describe the same schema.
 *
 * @module
 */
import type { BetterAuthOptions, BetterAuthPlugin, SecondaryStorage } from "better-auth"
import { Duration, Redacted } from "effect"
import type { Effect } from "effect"
import type { AttemptGuardService } from "../../services/AttemptGuard.js"
import type { Mail } from "../../services/Mailer.js"
import type { SessionConfigShape } from "../../services/SessionStore.js"
import * as TrustedOrigins from "../../services/TrustedOrigins.js"
import * as AuthMails from "./Mails.js"
import { accountClaims } from "./AccountClaims.js"
import { evenAnswers } from "./EvenAnswers.js"
import { guardPlugin } from "./GuardPlugin.js"
import type { EndpointInput } from "./GuardPlugin.js"
import type { Library, PasskeyFactory } from "./Library.js"
import { sessionEndings } from "./SessionEndings.js"
import type { SessionEndingPorts } from "./SessionEndings.js"

export interface BetterAuthConfigShape {
  readonly database: D1Database
  readonly secret: Redacted.Redacted<string>
  /** The worker's public origin, e.g. `http://localhost:8787`. */
  readonly baseURL: string
  /** The base path of the auth routes. Default `/api/auth`. */
  readonly basePath?: string
  /**
   * The WebAuthn relying party: its id (default: `baseURL`'s hostname) and the origins a passkey
   * ceremony may come from (default: `baseURL`'s origin). A passkey is bound to the id for good.
   */
  readonly passkey?: { readonly rpID?: string; readonly origins?: ReadonlyArray<string> }
  /**
   * Address verification: `off` (the default) sends a verification mail only when asked
   * (`/send-verification-email`); `on-sign-up` also sends one on every sign-up; `required` does
   * that and refuses password sign-in until the address is confirmed.
   */
  readonly emailVerification?: "off" | "on-sign-up" | "required"
  /** Whether following a magic link for an unknown address creates the account. Default true. */
  readonly magicLinkSignUp?: boolean
  /**
   * Origins trusted besides `baseURL` (`TrustedOrigins.parse`'s output); the request's own only
   * where `TrustedOrigins.isOwnOriginTrusted` says so. Default none.
   */
  readonly trustedOrigins?: ReadonlyArray<string>
  /** The name in mail subjects and texts, and the passkey relying party's name. Default `edge-auth-state`. */
  readonly appName?: string
  /** More Better Auth plugins, after this project's (see `App.BetterAuthOptions.plugins`). */
  readonly plugins?: ReadonlyArray<BetterAuthPlugin>
}

/** How long the links in mails work, in seconds (Better Auth's own defaults, stated once). */
export const linkLifetimes = { magicLink: 300, resetPassword: 3600, verifyEmail: 3600 } as const

/** The fragment a page-bound magic link carries its token in (`<callbackURL>#magic-link-token=<token>`). */
export const magicLinkFragment = "magic-link-token"

/**
 * Where a magic link's mail points. By default, Better Auth's verify URL: following it answers a
 * redirect with `set-auth-token`, which a client reading the response uses, but which a browser
 * following the link never shows its page. A request with `metadata: { link: "page" }` gets a link
 * to its `callbackURL` instead (already checked to be a relative path or a trusted origin), with
 * the token in the fragment: the page verifies it itself with a fetch
 * (`GET /magic-link/verify?token=...`, no callbackURL) and reads the Bearer token from that answer.
 * The fragment is never sent to the page's server nor in a `Referer`.
 */
export const magicLinkTarget = (verifyUrl: string, token: string, metadata: unknown, baseURL: string): string => {
  const toPage = typeof metadata === "object" && metadata !== null && "link" in metadata && metadata.link === "page"
  if (!toPage) return verifyUrl
  const page = new URL(new URL(verifyUrl).searchParams.get("callbackURL") ?? "/", baseURL)
  page.hash = `${magicLinkFragment}=${encodeURIComponent(token)}`
  return page.toString()
}

/** Sends one mail for Better Auth, after the answer: resolves at once, whatever becomes of the mail. */
export type SendMail = (mail: Mail) => Promise<void>

const noMailer: SendMail = () => Promise.reject(new Error("no mailer configured"))

/** How Better Auth reaches the rest of the worker (see the module's comment). */
export interface Ports {
  /** Better Auth's `secondaryStorage`: the session store (`SecondaryStorage.make`). */
  readonly storage?: SecondaryStorage
  /** The guard Better Auth asks before each endpoint it covers, and how its Effects are run. */
  readonly guard?: {
    readonly service: AttemptGuardService
    readonly run: <A>(effect: Effect.Effect<A>) => Promise<A>
    readonly inputOf: (endpoint: string) => EndpointInput | undefined
    /** Records that the request is answered with the guard's refusal (passed on as it is). */
    readonly refused: () => Promise<void>
  }
  /** Called for every session row Better Auth deletes, with its token. */
  readonly onSessionDeleted?: (token: string) => Promise<void>
  /** Records the revocations of the sessions Better Auth ends (`SessionEndings`). */
  readonly sessionEndings?: SessionEndingPorts
  /** How mail is sent (magic links, resets, verification, a taken address's notice). */
  readonly send?: SendMail
  /** Records that the request's passkey ceremony passed WebAuthn verification (`PasskeyOutcome`). */
  readonly passkeyVerified?: () => Promise<void>
}

/** The shortest and longest password Better Auth takes (its defaults, stated once for the guard too). */
export const passwordLengths = { min: 8, max: 128 } as const

/** The Better Auth options this project runs with. */
export const options = (
  library: Library,
  config: BetterAuthConfigShape,
  session: SessionConfigShape,
  ports: Ports = {}
) => {
  const { APIError, bearer, magicLink, passkey, withClientErrors } = library
  const appName = config.appName ?? "edge-auth-state"
  const verification = config.emailVerification ?? "off"
  const send = ports.send ?? noMailer
  const claims = accountClaims(ports.sessionEndings?.userSessionsEnded)
  const endings = ports.sessionEndings === undefined ? undefined : sessionEndings(library, ports.sessionEndings)
  const bearerPlugin = bearer()
  const passkeyPlugin = (makePasskey: PasskeyFactory) =>
    makePasskey({
      rpName: appName,
      rpID: config.passkey?.rpID ?? new URL(config.baseURL).hostname,
      origin: [...(config.passkey?.origins ?? [new URL(config.baseURL).origin])],
      registration: {
        afterVerification: async ({ ctx, verification }) => {
          // WebAuthn §7.1 step 22: a credential id already registered (to anyone) is refused, so
          // nobody can shadow another user's passkey with a key of their own.
          const id = verification.registrationInfo?.credential.id
          const existing = id === undefined
            ? null
            : await ctx.context.adapter.findOne({ model: "passkey", where: [{ field: "credentialID", value: id }] })
          if (existing !== null) {
            throw new APIError("BAD_REQUEST", { message: "This passkey is already registered", code: "PASSKEY_ALREADY_REGISTERED" })
          }
          await ports.passkeyVerified?.()
        }
      },
      authentication: {
        afterVerification: async () => {
          await ports.passkeyVerified?.()
        }
      }
    })
  return {
    appName,
    baseURL: config.baseURL,
    basePath: config.basePath ?? "/api/auth",
    trustedOrigins: TrustedOrigins.forBetterAuth({ baseURL: config.baseURL, origins: config.trustedOrigins ?? [] }),
    secret: Redacted.value(config.secret),
    database: withClientErrors(config.database),
    ...(ports.storage ? { secondaryStorage: ports.storage } : {}),
    emailAndPassword: {
      enabled: true,
      // A sign-up answers alike for a new and a taken address (no session for either: a session
      // would say the address was free), so it does not reveal which addresses have accounts.
      // The client signs in next, as for an existing account.
      autoSignIn: false,
      // The taken address's owner hears of it (after the answer, like every mail).
      onExistingUserSignUp: ({ user }) => send(AuthMails.existingAccount(appName, user.email)),
      minPasswordLength: passwordLengths.min,
      maxPasswordLength: passwordLengths.max,
      requireEmailVerification: verification === "required",
      resetPasswordTokenExpiresIn: linkLifetimes.resetPassword,
      // A reset proves control of the mailbox, not of every device: end every other session.
      revokeSessionsOnPasswordReset: true,
      onPasswordReset: async (data) => {
        // The reset ended every session (`revokeSessionsOnPasswordReset`): recorded as such.
        await endings?.endAll(data.user.id)
        await claims.onPasswordReset(data)
      },
      sendResetPassword: ({ user, url }) =>
        send(AuthMails.resetPassword(appName, user.email, url, linkLifetimes.resetPassword))
    },
    emailVerification: {
      sendOnSignUp: verification !== "off",
      autoSignInAfterVerification: true,
      expiresIn: linkLifetimes.verifyEmail,
      sendVerificationEmail: ({ user, url }) => send(AuthMails.verifyEmail(appName, user.email, url, linkLifetimes.verifyEmail))
    },
    plugins: [
      bearerPlugin,
      claims.plugin,
      ...(endings === undefined ? [] : [endings.plugin]),
      evenAnswers(library),
      ...(ports.guard === undefined
        ? []
        : [guardPlugin(library, ports.guard.service, ports.guard.run, { bearer: bearerPlugin, inputOf: ports.guard.inputOf, refused: ports.guard.refused, passwords: passwordLengths })]),
      magicLink({
        expiresIn: linkLifetimes.magicLink,
        // D1 keeps a hash: a read of the verification table yields no usable link.
        storeToken: "hashed",
        disableSignUp: config.magicLinkSignUp === false,
        sendMagicLink: ({ email, url, token, metadata }) =>
          send(AuthMails.magicLink(appName, email, magicLinkTarget(url, token, metadata, config.baseURL), linkLifetimes.magicLink))
      }),
      ...(passkey === undefined ? [] : [passkeyPlugin(passkey)]),
      ...(config.plugins ?? [])
    ],
    session: {
      expiresIn: Math.round(Duration.toSeconds(session.expiresIn)),
      updateAge: Math.round(Duration.toSeconds(session.updateAge)),
      // The per-user index of sessions lives in D1, strongly consistent: KV's read-modify-write list
      // loses sessions created concurrently, so listing and revoking would miss them.
      storeSessionInDatabase: true
    },
    databaseHooks: {
      session: {
        delete: {
          // Every session row Better Auth deletes (revoke-sessions and user deletion included,
          // which end sessions its KV list may not know of) has its KV copy ended too.
          after: async (row) => {
            if (ports.onSessionDeleted) await ports.onSessionDeleted(row.token)
          }
        }
      }
    },
    verification: { storeInDatabase: true },
    rateLimit: { enabled: false },
    advanced: {
      ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] },
      // A user and their accounts in one query (a LEFT JOIN) whether or not the address has an
      // account: without it, Better Auth looks the accounts up only for a user it found, and a
      // sign-in or reset request for a known address took one D1 round trip more (docs/security.md).
      database: { joins: true }
    },
    telemetry: { enabled: false }
  } satisfies BetterAuthOptions
}
