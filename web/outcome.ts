/** What Better Auth's client answers every call with, and how the page shows a failure. */
export interface Outcome {
  readonly data: unknown
  readonly error: { readonly status: number; readonly message?: string | undefined; readonly code?: string | undefined } | null
}

export const describeError = (error: NonNullable<Outcome["error"]>) =>
  `Failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`.trim()

