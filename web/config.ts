/**
 * Where the API is. The page is the same wherever it is served; a deployment on another origin
 * says where the worker is in `config.json` beside it (`{ "apiBase": "https://auth.example.com" }`).
 * Without one, the API is the page's own origin. It is deliberately not a query parameter: a link
 * could then point the page at another server and have it send the password typed into it there.
 */
export interface PageConfig {
  /** The worker's origin. */
  readonly apiBase: string
}

export const loadConfig = async (): Promise<PageConfig> => {
  const response = await fetch("config.json", { cache: "no-store" }).catch(() => undefined)
  const body: unknown = response?.ok ? await response.json().catch(() => ({})) : {}
  const apiBase = typeof body === "object" && body !== null && "apiBase" in body && typeof body.apiBase === "string"
    ? new URL(body.apiBase, location.href).origin
    : location.origin
  return { apiBase }
}
