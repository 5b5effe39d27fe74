/** What Better Auth's client answers every call with, and how the page shows a failure. */
export interface Outcome {
  readonly data: unknown
  readonly error: { readonly status: number; readonly message?: string | undefined; readonly code?: string | undefined } | null
}

export const describeError = (error: NonNullable<Outcome["error"]>) =>
  `Failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`.trim()

/**
 * The raw session token a stored Bearer value names: `set-auth-token` is `<token>.<signature>`,
 * maybe percent-encoded; Better Auth's session lists carry the raw token.
 */
export const sessionTokenOf = (bearer: string): string => {
  let value = bearer
  try {
    value = decodeURIComponent(bearer)
  } catch {
    // Not percent-encoded after all: as it is.
  }
  return value.split(".")[0] ?? value
}

/** A time from the API (an ISO string), shown in the reader's own format. */
export const when = (value: unknown): string => {
  const date = typeof value === "string" || typeof value === "number" || value instanceof Date ? new Date(value) : undefined
  return date === undefined || Number.isNaN(date.getTime()) ? "unknown time" : date.toLocaleString()
}
