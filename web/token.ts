/**
 * The Bearer token, kept in `localStorage` as Better Auth's bearer guide does, under a key per API
 * origin, so a token issued by one worker is never sent to another.
 */
export interface TokenStore {
  readonly get: () => string | null
  readonly set: (token: string) => void
  readonly clear: () => void
}

export const tokenStore = (apiBase: string): TokenStore => {
  const key = `bearer_token:${apiBase}`
  return {
    get: () => localStorage.getItem(key),
    set: (token) => localStorage.setItem(key, token),
    clear: () => localStorage.removeItem(key)
  }
}
