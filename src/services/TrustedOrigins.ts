/**
 * The origins whose browser pages may use the API: one list, read from `TRUSTED_ORIGINS`, that
 * feeds both Better Auth's origin checks (`trustedOrigins`) and the CORS allow-list, plus the
 * worker's own origin (`BETTER_AUTH_URL`). Links in mails are built on these origins only.
 *
 * The origin a request was sent to (its `Host`) is the client's to choose wherever the worker is
 * reached without Cloudflare's routing in front (`wrangler dev`, a proxy that passes `Host` on, a
 * hostname nobody planned for), so it is trusted only where that cannot be abused: a loopback
 * origin while `BETTER_AUTH_URL` is itself loopback, which is local development on any port.
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
 * Whether `url` (an absolute URL or an origin) is on a loopback host, this machine: `localhost` and
 * its subdomains (which browsers resolve to loopback themselves), 127.0.0.0/8 (the URL parser has
 * already spelled `127.1` or `0x7f000001` as dotted quads), `[::1]` and IPv4-mapped 127.x.
 */
export const isLoopback = (url: string): boolean => {
  let host: string
  try {
    host = new URL(url).hostname.replace(/\.$/, "")
  } catch {
    return false
  }
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]" ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
}

/**
 * Whether the origin a request was sent to is trusted as its own: only a loopback origin of a
 * worker whose `baseURL` is loopback (local development, on whatever port it was started).
 */
export const isOwnOriginTrusted = (baseURL: string, requestOrigin: string): boolean =>
  isLoopback(baseURL) && isLoopback(requestOrigin)

/**
 * Better Auth's `trustedOrigins`: the configured entries, plus the origin the request was sent to
 * when that is trusted (`isOwnOriginTrusted`). Better Auth also calls it without a request, at
 * start-up. It reads nothing of the request but its URL, and answers at once:
 * `BetterAuth.routedHandler`, which keeps one router per list it answers, relies on both.
 */
export const forBetterAuth = (options: { readonly baseURL: string; readonly origins: ReadonlyArray<string> }) =>
(request?: Request): Array<string> => {
  const own = request === undefined ? undefined : originOf(request.url)
  // Better Auth trusts its baseURL's origin itself.
  return own !== undefined && isOwnOriginTrusted(options.baseURL, own) && own !== originOf(options.baseURL) && !options.origins.includes(own)
    ? [...options.origins, own]
    : [...options.origins]
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
   * worker's configured origin, one of the configured entries, or `requestUrl`'s own origin where
   * that is trusted (`isOwnOriginTrusted`). The header must be an origin as browsers write it
   * (lower-case, no default port, no path).
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
        if (originOf(requestUrl) === origin && isOwnOriginTrusted(options.baseURL, origin)) return true
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
