/**
 * What the worker offers (`GET /api/capabilities`), read once when the page starts, so the page
 * shows only what works: no magic link section when the worker sends no mail (`MAILER=none`), no
 * passkey sections when its Better Auth has no passkey plugin. A worker that does not answer (an
 * older one, or an origin whose reads the worker's CORS refuses) is taken to offer everything, as
 * the page assumed before it asked.
 */
export interface Capabilities {
  /** Mail is sent: magic links, password resets and address verification work. */
  readonly mail: boolean
  /** Passkeys are offered (the routes under `/api/auth/passkey`). */
  readonly passkeys: boolean
}

const everything: Capabilities = { mail: true, passkeys: true }

export const loadCapabilities = async (apiBase: string): Promise<Capabilities> => {
  const response = await fetch(new URL("/api/capabilities", apiBase), { credentials: "omit" }).catch(() => undefined)
  const body: unknown = response?.ok ? await response.json().catch(() => undefined) : undefined
  if (typeof body !== "object" || body === null) return everything
  const flag = (name: keyof Capabilities) => {
    const value = (body as Record<string, unknown>)[name]
    return typeof value === "boolean" ? value : true
  }
  return { mail: flag("mail"), passkeys: flag("passkeys") }
}

/** What the page leaves out for `capabilities`, in words (empty when it leaves out nothing). */
export const leftOut = (capabilities: Capabilities): ReadonlyArray<string> => [
  ...(capabilities.mail ? [] : ["sign-in links by mail (this server sends no mail)"]),
  ...(capabilities.passkeys ? [] : ["passkeys"])
]
