/**
 * Bounds on the user fields a client writes. They are copied into every session record of the
 * user (KV) and into D1, so an unbounded `name` would multiply into every session read.
 *
 * @module
 */
import { Option } from "effect"

/** The longest value of each field, in characters; any other field's JSON is bounded by `other`. */
export interface UserFieldLimits {
  readonly name: number
  readonly image: number
  readonly email: number
  readonly other: number
}

export const defaultUserFieldLimits: UserFieldLimits = { name: 256, image: 2048, email: 320, other: 2048 }

/** The endpoints whose body becomes user fields (under the auth base path). */
export const writesUserFields = (endpoint: string): boolean =>
  endpoint.startsWith("/sign-up/") || endpoint === "/update-user" || endpoint === "/change-email"

/** The first field of `body` over its limit, if any. Passwords are bounded by Better Auth. */
export const overLimit = (body: unknown, limits: UserFieldLimits = defaultUserFieldLimits): Option.Option<{ field: string; max: number }> => {
  if (typeof body !== "object" || body === null) return Option.none()
  for (const [field, value] of Object.entries(body)) {
    if (field === "password" || field === "newPassword" || field === "currentPassword") continue
    const max = field === "name" ? limits.name
      : field === "image" ? limits.image
      : field === "email" || field === "newEmail" ? limits.email
      : limits.other
    const length = typeof value === "string" ? value.length : (JSON.stringify(value) ?? "").length
    if (length > max) return Option.some({ field, max })
  }
  return Option.none()
}
