/**
 * Better Auth as the `AuthProvider`: its options (`betterauth/Options`), connected to the worker
 * through its ports (the session store, the attempt guard, mail, the request's state), behind a
 * handler that keeps its router (`betterauth/KeptRouter`).
 *
 * Better Auth itself is loaded (`BetterAuthConfig.load`) and built on the first request that
 * reaches it, not when the layer is built: checking a Bearer credential (every API request) is an HMAC
 * check done here (`betterauth/SessionToken`), so a worker that starts and answers such requests
 * never pays for parsing, evaluating and configuring Better Auth.
 *
 * @module
 */
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { AttemptGuard } from "../services/AttemptGuard.js"
import { AuthProvider, AuthUnavailable } from "../services/AuthProvider.js"
import { runInBackground } from "../services/BackgroundTasks.js"
import { Mailer } from "../services/Mailer.js"
import type { Mail } from "../services/Mailer.js"
import { SessionConfig, SessionStore, SessionStoreError } from "../services/SessionStore.js"
import { traced } from "../services/Tracing.js"
import { handlerWithKeptRouter } from "./betterauth/KeptRouter.js"
import type { Library, LibraryLoader } from "./betterauth/Library.js"
import { forNonBrowserClients } from "./betterauth/NonBrowserClients.js"
import * as OpenApiDescription from "./betterauth/OpenApiDescription.js"
import * as Options from "./betterauth/Options.js"
import type { BetterAuthConfigShape } from "./betterauth/Options.js"
import type { EndpointInput } from "./betterauth/GuardPlugin.js"
import * as PasskeyOutcome from "./betterauth/PasskeyOutcome.js"
import * as RequestState from "./betterauth/RequestState.js"
import * as SecondaryStorage from "./betterauth/SecondaryStorage.js"
import * as SessionToken from "./betterauth/SessionToken.js"

export type { Library, LibraryLoader } from "./betterauth/Library.js"
export type { BetterAuthConfigShape } from "./betterauth/Options.js"

/**
 * Waits, if it must, until the Clock has passed `at`: a session created after this is created after
 * a revoke-all recorded at `at` (which covers its millisecond). In workerd the clock stands still
 * between I/O, so an account claim could otherwise sign its owner in within the same millisecond.
 */
const untilPast = (at: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => (now > at ? Effect.void : Effect.sleep(Duration.millis(at + 1 - now))))

export class BetterAuthConfig extends Context.Tag("edge-auth-state/BetterAuthConfig")<BetterAuthConfig, BetterAuthConfigShape & {
  /**
   * Loads Better Auth, on the first request that needs it: `CoreLibrary.load` (without passkeys)
   * or `Passkeys.load`; this repository's worker loads a module bundled on its own
   * (`GeneratedLibrary`). No default here: a default's import would put that library in every
   * bundle, beside the one the worker loads. Its `passkeys` flag is what the provider says it
   * offers, its `openApi` flag whether the provider describes its routes (`AuthProvider.openApi`).
   */
  readonly load: LibraryLoader
}>() {}

/** A mail for Better Auth, sent after the answer (`BackgroundTasks`); a failure is logged, never answered. */
const sendAfterAnswer = (mailer: Mailer["Type"], mail: Mail) =>
  runInBackground(
    Effect.catchAll(mailer.send(mail), (error) =>
      Effect.logError("mail not sent", {
        reason: error.reason,
        message: error.message,
        subject: mail.subject,
        recipientDomain: mail.to.slice(mail.to.lastIndexOf("@") + 1)
      }))
  )

export const make = Effect.gen(function*() {
  const config = yield* BetterAuthConfig
  const session = yield* SessionConfig
  const store = yield* SessionStore
  const guard = yield* Effect.serviceOption(AttemptGuard)
  const mailer = yield* Mailer
  const fallback = yield* Effect.runtime<never>()

  const build = (library: Library) => {
    const requests = RequestState.make(library, fallback)
    /**
     * The session store's operations, for Better Auth: a failure rejects into Better Auth, and one of
     * the record of revocations is also marked on the request, which is then answered 503 whatever
     * Better Auth made of it (its sign-out logs a failed read or deletion and answers 200): in
     * `immediate` mode a session is never taken for ended, nor for live, unchecked.
     */
    const runStore = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
      requests.run(effect).catch(async (error: unknown) => {
        if (error instanceof SessionStoreError && error.reason === "RevocationsUnavailable") await requests.markRevocationsUnavailable(error.message)
        throw error
      })
    // The input each endpoint takes, for the guard: known once Better Auth has built them.
    const inputs = new Map<string, EndpointInput>()
    const auth = library.betterAuth(Options.options(library, config, session, {
      storage: SecondaryStorage.make(store, runStore),
      ...(Option.isSome(guard) ? { guard: { service: guard.value, run: requests.run, inputOf: (endpoint) => inputs.get(endpoint), refused: requests.markRefused } } : {}),
      onSessionDeleted: (token) => requests.run(store.revoke(token)),
      sessionEndings: {
        sessionEnding: (row) => runStore(store.recordRevocation(row)),
        userSessionsEnded: (userId) =>
          runStore(Effect.flatMap(store.recordRevocationOfAll(userId), Option.match({
            onNone: () => Effect.succeed(undefined),
            onSome: (at) => Effect.as(untilPast(at), at)
          }))),
        isRecordedRevoked: (row) => runStore(store.isRecordedRevoked(row))
      },
      send: (mail) => requests.run(sendAfterAnswer(mailer, mail)),
      passkeyVerified: requests.markPasskeyVerified
    }))
    for (const endpoint of Object.values(auth.api) as ReadonlyArray<{ readonly path?: string; readonly options?: EndpointInput }>) {
      if (endpoint.path !== undefined && endpoint.options !== undefined) inputs.set(endpoint.path, endpoint.options)
    }
    return { library, handler: handlerWithKeptRouter(library, auth), requests }
  }

  // Built once, by the first request that needs it. Each such request awaits an import of its own
  // (no request awaits a promise another request created); the first to have it builds Better Auth.
  let built: ReturnType<typeof build> | undefined
  const unavailable = (cause: unknown) => new AuthUnavailable({ message: `auth handler failed: ${String(cause)}` })
  const betterAuth = Effect.suspend(() =>
    built !== undefined
      ? Effect.succeed(built)
      : Effect.tryPromise({ try: config.load, catch: unavailable }).pipe(
        Effect.flatMap((library) => Effect.try({ try: () => (built ??= build(library)), catch: unavailable }))
      )
  )

  const handle = (request: Request) =>
    Effect.gen(function*() {
      const { handler, requests } = yield* betterAuth
      const runtime = yield* Effect.runtime<never>()
      const answered = yield* Effect.tryPromise({
        try: () => requests.within(runtime, () => handler(forNonBrowserClients(request))),
        catch: unavailable
      })
      if (answered.marks.revocationsUnavailable !== undefined) {
        return yield* Effect.fail(new AuthUnavailable({ message: `session revocations unavailable: ${answered.marks.revocationsUnavailable}` }))
      }
      return yield* PasskeyOutcome.outcome(request, answered.result, answered.marks)
    }).pipe(traced("AuthProvider.handle"))

  // Described by Better Auth's `openAPI` plugin, when the library has it, in a Better Auth with the
  // same options (without the ports: it answers no request, sends no mail, stores nothing).
  const openApi = (bearerScheme: string) =>
    Effect.flatMap(betterAuth, ({ library }) =>
      Effect.tryPromise({
        try: () => OpenApiDescription.describe(library, Options.options(library, config, session), bearerScheme),
        catch: unavailable
      }))

  return AuthProvider.of({
    handle,
    sessionToken: SessionToken.make(config.secret),
    passkeys: config.load.passkeys === true,
    ...(config.load.openApi === true ? { openApi } : {})
  })
})

/** Better Auth as the `AuthProvider`. */
export const layer: Layer.Layer<AuthProvider, never, BetterAuthConfig | SessionConfig | SessionStore | Mailer> = Layer.effect(
  AuthProvider,
  make
)
