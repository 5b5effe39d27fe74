/**
 * What every section of the page shares: Better Auth's browser client, a fetch for the API's own
 * routes, the token, and three events (the session changed; the user's sessions or passkeys changed;
 * an auth call answered).
 */
import { passkeyClient } from "@better-auth/passkey/client"
import { createAuthClient } from "better-auth/client"
import { magicLinkClient } from "better-auth/client/plugins"
import type { Capabilities } from "./capabilities.js"
import type { PageConfig } from "./config.js"
import { tokenStore } from "./token.js"
import type { TokenStore } from "./token.js"

/** An answer from the API: the status, the JSON body (or text) and the headers. */
export interface ApiAnswer {
  readonly status: number
  readonly body: unknown
  readonly headers: Headers
}

export interface PageEvents {
  /** Signed in or out. */
  readonly session: undefined
  /** The signed-in user's sessions or passkeys changed (one ended, added or deleted), this page's session unchanged. */
  readonly credentials: undefined
  /** Any response of an auth route (`/api/auth/*`), success or not. */
  readonly "auth-response": Response
}

const makeAuthClient = (apiBase: string, token: TokenStore, events: EventTarget, credentials: RequestCredentials) =>
  createAuthClient({
    baseURL: apiBase,
    plugins: [magicLinkClient(), passkeyClient()],
    fetchOptions: {
      credentials,
      auth: { type: "Bearer", token: () => token.get() ?? "" },
      onSuccess: (context) => {
        const issued = context.response.headers.get("set-auth-token")
        if (issued) token.set(issued)
      },
      onResponse: (context) => {
        events.dispatchEvent(new CustomEvent("auth-response", { detail: context.response }))
      }
    }
  })

export interface Page {
  readonly apiBase: string
  /** What the worker offers (`GET /api/capabilities`, read once at start). */
  readonly capabilities: Capabilities
  readonly auth: ReturnType<typeof makeAuthClient>
  /**
   * The same client for passkey ceremonies, which also send cookies to the worker when the page is
   * on its origin: the passkey plugin keeps each ceremony's challenge in a cookie between its two
   * requests. A page on another origin sends none (the worker's CORS allows no credentials), so
   * its ceremonies fail there; a passkey is bound to the worker's relying party id anyway.
   */
  readonly passkeys: ReturnType<typeof makeAuthClient>
  readonly token: TokenStore
  /** `GET` (or `init`) an API route with the Bearer token. */
  readonly api: (path: string, init?: RequestInit) => Promise<ApiAnswer>
  readonly on: <K extends keyof PageEvents>(event: K, listener: (detail: PageEvents[K]) => void) => void
  readonly sessionChanged: () => void
  readonly credentialsChanged: () => void
}

export const makePage = (config: PageConfig, capabilities: Capabilities): Page => {
  const events = new EventTarget()
  const token = tokenStore(config.apiBase)
  return {
    apiBase: config.apiBase,
    capabilities,
    // Bearer only: no cookies cross origins (the worker's CORS does not allow credentials).
    auth: makeAuthClient(config.apiBase, token, events, "omit"),
    passkeys: makeAuthClient(config.apiBase, token, events, "same-origin"),
    token,
    api: async (path, init = {}) => {
      const headers = new Headers(init.headers)
      const bearer = token.get()
      if (bearer) headers.set("authorization", `Bearer ${bearer}`)
      const response = await fetch(new URL(path, config.apiBase), { ...init, headers, credentials: "omit" }).catch(
        (error: unknown) => error instanceof Error ? error : new Error(String(error))
      )
      // No answer the page may read: the network, or a browser refusing it (CORS).
      if (response instanceof Error) return { status: 0, body: `Failed: ${response.message}`, headers: new Headers() }
      const text = await response.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // Not JSON: shown as text.
      }
      return { status: response.status, body, headers: response.headers }
    },
    on: (event, listener) =>
      events.addEventListener(event, (e) => listener((e as CustomEvent).detail)),
    sessionChanged: () => events.dispatchEvent(new CustomEvent("session")),
    credentialsChanged: () => events.dispatchEvent(new CustomEvent("credentials"))
  }
}
