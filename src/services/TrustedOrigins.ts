/**
 * The origins whose browser pages may use the API: one list, read from `TRUSTED_ORIGINS`, that
 * feeds both Better Auth's origin checks (`trustedOrigins`) and the CORS allow-list, plus the
 * worker's own origin (`BETTER_AUTH_URL`) and the origin each request was sent to (same origin).
 *
 * Entries are exact origins (`https://app.example.com`, `http://localhost:5173`) or wildcard
 * subdomains (`https://*.example.com`: any subdomain, at any depth, on that scheme and port), the
 * subset of Better Auth's patterns whose meaning is plain. Anything else is a configuration
 * problem, named at start-up rather than silently trusting too much or too little.
 *
 * @module
 */
import { Context, Layer } from "effect"

/** The parsed setting: canonical entries, or what is wrong with each bad one. */
export interface ParsedTrustedOrigins {
  readonly origins: ReadonlyArray<string>
  readonly problems: ReadonlyArray<string>
}

const example = "e.g. https://app.example.com or https://*.example.com"

/** One entry in canonical form (`new URL(...).origin`, the form browsers send), or its problem. */
const parseEntry = (entry: string): { readonly origin: string } | { readonly problem: string } => {
  const named = `TRUSTED_ORIGINS entry \`${entry}\``
  if (entry === "*" || entry === "null") {
    return { problem: `${named} would trust every page; list the origins instead (${example})` }
  }
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    return { problem: `${named} is not an origin (${example})` }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { problem: `${named} is not an http or https origin (${example})` }
  }
  if (url.username !== "" || url.password !== "" || /[?#]/.test(entry)) {
    return { problem: `${named} is not an origin: it has more than scheme://host[:port] (${example})` }
  }
  if (url.pathname !== "/") {
    return { problem: `${named} has a path; an origin is scheme://host[:port] only (${example})` }
  }
  if (!url.host.includes("*")) return { origin: url.origin }
  const suffix = url.hostname.startsWith("*.") ? url.hostname.slice(2) : ""
  const labels = suffix.split(".")
  if (suffix === "" || suffix.includes("*") || labels.length < 2 || /^\d+$/.test(labels[labels.length - 1]!)) {
    return {
      problem: `${named}: a wildcard is allowed only as the first label of a domain of two labels or more (https://*.example.com)`
    }
  }
  return { origin: `${url.protocol}//${url.host}` }
}

/**
 * Reads `TRUSTED_ORIGINS`: comma-separated (spaces and empty entries ignored), each entry an
 * origin or a wildcard-subdomain pattern, returned in the canonical form Better Auth compares.
 */
export const parse = (text: string): ParsedTrustedOrigins => {
  const origins: Array<string> = []
  const problems: Array<string> = []
  for (const entry of text.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const parsed = parseEntry(entry)
    if ("problem" in parsed) problems.push(parsed.problem)
    else if (!origins.includes(parsed.origin)) origins.push(parsed.origin)
  }
  return { origins, problems }
}

/** The origin of an absolute URL, or `undefined` for a string that is not one. */
export const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * Better Auth's `trustedOrigins`: the configured entries plus the origin the request was sent to,
 * so the worker's own pages are trusted on any host and port (`wrangler dev --port N`, a custom
 * domain) without configuration. Better Auth also calls it without a request, at start-up. It reads
 * nothing of the request but its origin, and answers at once: `BetterAuth.routedHandler`, which keeps
 * one router per origin, relies on both.
 */
export const forBetterAuth = (origins: ReadonlyArray<string>) => (request?: Request): Array<string> => {
  const own = request === undefined ? undefined : originOf(request.url)
  return own === undefined ? [...origins] : [...origins, own]
}

interface Wildcard {
  readonly protocol: string
  readonly port: string
  /** `.example.com` for `https://*.example.com`. */
  readonly suffix: string
}

export interface TrustedOriginsShape {
  /** The configured entries (canonical), as Better Auth is given them. */
  readonly origins: ReadonlyArray<string>
  /**
   * Whether a page on `origin` (an `Origin` header) may call the API at `requestUrl`: it is the
   * worker's configured origin, one of the configured entries, or `requestUrl`'s own origin. The
   * header must be an origin as browsers write it (lower-case, no default port, no path).
   */
  readonly isTrusted: (origin: string, requestUrl: string) => boolean
}

export class TrustedOrigins extends Context.Tag("edge-auth-state/TrustedOrigins")<TrustedOrigins, TrustedOriginsShape>() {
  /** The trust decision for `origins` (from `parse`) on a worker whose public URL is `baseURL`. */
  static readonly make = (options: { readonly baseURL: string; readonly origins: ReadonlyArray<string> }): TrustedOriginsShape => {
    const exact = new Set<string>()
    const wildcards: Array<Wildcard> = []
    const base = originOf(options.baseURL)
    if (base !== undefined) exact.add(base)
    for (const origin of options.origins) {
      const url = new URL(origin)
      if (url.hostname.startsWith("*.")) wildcards.push({ protocol: url.protocol, port: url.port, suffix: url.hostname.slice(1) })
      else exact.add(origin)
    }
    return {
      origins: options.origins,
      isTrusted: (origin, requestUrl) => {
        if (exact.has(origin)) return true
        let url: URL
        try {
          url = new URL(origin)
        } catch {
          return false
        }
        // Anything but a browser's serialisation of an origin (a path, upper case, `null`) is not one.
        if (url.origin !== origin) return false
        if (originOf(requestUrl) === origin) return true
        return wildcards.some((w) =>
          url.protocol === w.protocol && url.port === w.port && url.hostname.endsWith(w.suffix) &&
          url.hostname.length > w.suffix.length
        )
      }
    }
  }

  static readonly layer = (options: { readonly baseURL: string; readonly origins: ReadonlyArray<string> }) =>
    Layer.succeed(TrustedOrigins, TrustedOrigins.make(options))
}
