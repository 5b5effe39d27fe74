/**
 * What every section of the page shares: Better Auth's browser client, a fetch for the API's own
 * routes, the token, and two events (the session changed; an auth call answered).
 */
import { createAuthClient } from "better-auth/client"
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
  /** Any response of an auth route (`/api/auth/*`), success or not. */
  readonly "auth-response": Response
}

const makeAuthClient = (apiBase: string, token: TokenStore, events: EventTarget) =>
  createAuthClient({
    baseURL: apiBase,
    fetchOptions: {
      // Bearer only: no cookies cross origins (the worker's CORS does not allow credentials).
      credentials: "omit",
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
  readonly auth: ReturnType<typeof makeAuthClient>
  readonly token: TokenStore
  /** `GET` (or `init`) an API route with the Bearer token. */
  readonly api: (path: string, init?: RequestInit) => Promise<ApiAnswer>
  readonly on: <K extends keyof PageEvents>(event: K, listener: (detail: PageEvents[K]) => void) => void
  readonly sessionChanged: () => void
}

export const makePage = (config: PageConfig): Page => {
  const events = new EventTarget()
  const token = tokenStore(config.apiBase)
  return {
    apiBase: config.apiBase,
    auth: makeAuthClient(config.apiBase, token, events),
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
    sessionChanged: () => events.dispatchEvent(new CustomEvent("session"))
  }
}
