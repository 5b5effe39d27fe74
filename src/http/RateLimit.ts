/**
 * Rate limiting of the auth routes: one rules table, one middleware.
 *
 * Every request is matched on its normalised path (case, repeated and trailing slashes,
 * percent-encoding and dot segments folded; query ignored), so variants of a route share its
 * bucket, whether or not they would be routed. The bucket is `ratelimit:{ip}:{rule}`.
 *
 * @module
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Context, Duration, Effect, Either, Layer, Metric, Option } from "effect"
import { rateLimitRejections } from "../services/Metrics.js"
import { RateLimiter } from "../services/RateLimiter.js"
import type { RateLimitDecision, RateLimitPolicy } from "../services/RateLimiter.js"
import { jsonError } from "./JsonErrors.js"

export interface RateLimitRule {
  /** The bucket's name, in `ratelimit:{ip}:{name}` and in the `RateLimit` header fields. */
  readonly name: string
  /** Normalised path prefixes (whole segments) the rule covers. */
  readonly paths: ReadonlyArray<string>
  readonly policy: RateLimitPolicy
  /** When the counter cannot be read or written: let the request through, or refuse it (503). */
  readonly onFailure: "open" | "closed"
  /**
   * Also count the request against the account its JSON body names (`email`), so that rotating
   * client addresses cannot multiply the attempts one account receives.
   */
  readonly perAccount?: RateLimitPolicy
}

export interface RateLimitSettings {
  /** Checked in order; the first whose paths match applies. */
  readonly rules: ReadonlyArray<RateLimitRule>
  /**
   * Take the client IP from the first `X-Forwarded-For` entry when `CF-Connecting-IP` is absent.
   * Only for deployments behind a proxy you control; off by default, as the header is forgeable.
   */
  readonly trustForwardedFor: boolean
}

const minute = Duration.seconds(60)

/** The defaults. `RateLimitRules.layer({...})` replaces any of them in one place. */
export const defaultRules: ReadonlyArray<RateLimitRule> = [
  // Each request sends a mail: few per address and per recipient, so nobody is flooded with them.
  {
    name: "magic-link",
    paths: ["/api/auth/sign-in/magic-link"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  { name: "magic-link-verify", paths: ["/api/auth/magic-link/verify"], policy: { limit: 10, window: minute }, onFailure: "closed" },
  {
    name: "verification-email",
    paths: ["/api/auth/send-verification-email"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  // A registration or a sign-in is two requests (options, then verification).
  { name: "passkey", paths: ["/api/auth/passkey"], policy: { limit: 20, window: minute }, onFailure: "closed" },
  {
    name: "sign-in",
    paths: ["/api/auth/sign-in"],
    policy: { limit: 5, window: minute },
    perAccount: { limit: 5, window: minute },
    onFailure: "closed"
  },
  { name: "sign-up", paths: ["/api/auth/sign-up"], policy: { limit: 3, window: minute }, onFailure: "closed" },
  {
    name: "password-reset-request",
    paths: ["/api/auth/request-password-reset", "/api/auth/forget-password"],
    policy: { limit: 3, window: minute },
    perAccount: { limit: 3, window: minute },
    onFailure: "closed"
  },
  { name: "password-reset", paths: ["/api/auth/reset-password"], policy: { limit: 5, window: minute }, onFailure: "closed" },
  { name: "auth", paths: ["/api/auth"], policy: { limit: 100, window: minute }, onFailure: "open" }
]

export class RateLimitRules extends Context.Tag("edge-auth-state/RateLimitRules")<RateLimitRules, RateLimitSettings>() {
  static readonly defaults: RateLimitSettings = { rules: defaultRules, trustForwardedFor: false }
  static readonly layer = (settings: Partial<RateLimitSettings> = {}) =>
    Layer.succeed(RateLimitRules, { ...RateLimitRules.defaults, ...settings })
}

/** A path as the limiter sees it: decoded, lower-cased, slashes folded, dot segments resolved. */
export const normalizeEndpoint = (pathname: string): string => {
  // Most paths have no percent-encoding, backslash, dot or `;`: only case and slashes to fold.
  if (!/[%\\.;\s]/.test(pathname)) {
    const folded = pathname.toLowerCase().replace(/\/{2,}/g, "/")
    return folded.length > 1 && folded.endsWith("/") ? folded.slice(0, -1) : folded
  }
  let path = pathname
  // Decode repeatedly (bounded), so %252F and friends fold too.
  for (let i = 0; i < 4 && /%[0-9a-f]{2}/i.test(path); i++) {
    try {
      path = decodeURIComponent(path)
    } catch {
      path = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    }
  }
  const segments: Array<string> = []
  for (const segment of path.toLowerCase().replace(/\\/g, "/").split("/")) {
    const bare = segment.replace(/;.*$/, "").trim()
    if (bare === "" || bare === ".") continue
    if (bare === "..") segments.pop()
    else segments.push(bare)
  }
  return "/" + segments.join("/")
}

/** The first rule covering `endpoint` (normalised), if any. */
export const matchRule = (rules: ReadonlyArray<RateLimitRule>, endpoint: string): RateLimitRule | undefined =>
  rules.find((rule) => rule.paths.some((prefix) => endpoint === prefix || endpoint.startsWith(`${prefix}/`)))

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** An IPv6 address as its eight 16-bit groups, or undefined if it is not one. */
const ipv6Groups = (text: string): Array<number> | undefined => {
  let address = text.toLowerCase()
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (v4) {
    if (!ipv4.test(v4[1]!)) return undefined
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number]
    address = address.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = address.split("::")
  if (halves.length > 2) return undefined
  const split = (part: string) => (part === "" ? [] : part.split(":"))
  const head = split(halves[0]!)
  const rest = halves.length === 2 ? split(halves[1]!) : []
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined
  const missing = 8 - head.length - rest.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return [...head, ...Array<string>(missing).fill("0"), ...rest].map((g) => parseInt(g, 16))
}

/**
 * The bucket a client IP falls in: an IPv4 address as it is; an IPv6 address by its /64 prefix
 * (one subscriber's allocation, which one client can rotate through freely).
 */
export const ipBucket = (text: string): string | undefined => {
  const ip = text.trim()
  if (ipv4.test(ip)) return ip
  const groups = ipv6Groups(ip)
  if (groups === undefined) return undefined
  // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 client.
  if (groups.slice(0, 6).join() === "0,0,0,0,0,65535") {
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".")
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`
}

/** The bucket every request without a usable client IP shares. */
export const unknownClient = "unknown"

/** The client's bucket: `CF-Connecting-IP`, or `X-Forwarded-For` if trusted, or the shared one. */
export const clientBucket = (headers: Readonly<Record<string, string | undefined>>, trustForwardedFor: boolean): string => {
  const connecting = headers["cf-connecting-ip"]
  if (connecting !== undefined) return ipBucket(connecting) ?? unknownClient
  const forwarded = trustForwardedFor ? headers["x-forwarded-for"]?.split(",")[0] : undefined
  return (forwarded === undefined ? undefined : ipBucket(forwarded)) ?? unknownClient
}

/** The path of a request URL, absolute or origin-relative; `//a/b` is a path here, not a host. */
export const pathOf = (url: string): string =>
  url.startsWith("/") ? url.split(/[?#]/, 1)[0]! : new URL(url).pathname

const seconds = (duration: Duration.Duration) => Math.max(0, Math.ceil(Duration.toMillis(duration) / 1000))

const withHeaders = (headers: Record<string, string>) =>
  HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(HttpServerResponse.setHeaders(response, headers)))

/** A bucket that was counted for this request, and what it said. */
interface Counted {
  readonly name: string
  readonly policy: RateLimitPolicy
  readonly decision: RateLimitDecision
}

/** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-11), one item per bucket. */
export const rateLimitFields = (counted: ReadonlyArray<Counted>): Record<string, string> => ({
  "ratelimit-policy": counted.map((c) => `"${c.name}";q=${c.policy.limit};w=${seconds(Duration.decode(c.policy.window))}`).join(", "),
  ratelimit: counted.map((c) => `"${c.name}";r=${c.decision.remaining};t=${seconds(c.decision.resetAfter)}`).join(", ")
})

/** The largest body read to find the account a request names. */
const maxAccountBody = 16 * 1024

/**
 * The account a sign-in or reset request names: the SHA-256 of its normalised `email`, or `None`
 * when the body is not a small JSON object with one.
 */
export const accountOf = (request: Request): Effect.Effect<Option.Option<string>> =>
  Effect.gen(function*() {
    if (request.method !== "POST" || !/json/i.test(request.headers.get("content-type") ?? "")) return Option.none()
    const length = Number(request.headers.get("content-length") ?? Number.NaN)
    if (!(length <= maxAccountBody)) return Option.none()
    const text = yield* Effect.promise(() => request.clone().text().catch(() => ""))
    let email: unknown
    try {
      email = (JSON.parse(text) as { email?: unknown } | null)?.email
    } catch {
      return Option.none()
    }
    if (typeof email !== "string" || email.trim() === "") return Option.none()
    const digest = yield* Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(email.trim().toLowerCase())))
    return Option.some(Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join(""))
  })

/** What the limiter says of a request: refused with this answer, or admitted with these headers. */
export type Verdict =
  | { readonly _tag: "Refused"; readonly response: HttpServerResponse.HttpServerResponse }
  | { readonly _tag: "Admitted"; readonly headers: Record<string, string> }

const admittedUnlimited: Verdict = { _tag: "Admitted", headers: {} }

/**
 * Counts a request in the buckets of the rule covering it: the `Verdict`. Requests no rule covers
 * are admitted without I/O.
 */
export const makeDecide = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  const settings = yield* RateLimitRules

  return (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Verdict> => {
    const rule = matchRule(settings.rules, normalizeEndpoint(pathOf(request.url)))
    if (rule === undefined) return Effect.succeed(admittedUnlimited)
    const client = clientBucket(request.headers, settings.trustForwardedFor)
    const counted: Array<Counted> = []

    /**
     * Counts the request in one bucket: the answer that refuses it (429, or 503 when the limiter
     * failed and the rule fails closed), or `undefined` to go on.
     */
    const countIn = (key: string, name: string, policy: RateLimitPolicy) =>
      Effect.flatMap(Effect.either(limiter.consume(key, policy)), (outcome) => {
        if (Either.isLeft(outcome)) {
          return Effect.as(
            Effect.logWarning("rate limiter unavailable", {
              rule: rule.name,
              policy: rule.onFailure,
              reason: outcome.left.reason,
              message: outcome.left.message
            }),
            rule.onFailure === "closed" ? jsonError(503, "Rate limiter unavailable", { "retry-after": "1" }) : undefined
          )
        }
        const decision = outcome.right
        counted.push({ name, policy, decision })
        if (decision.allowed) return Effect.succeed(undefined)
        return Effect.as(
          Effect.zipRight(Effect.logInfo("rate limited", { rule: name, client }), Metric.increment(rateLimitRejections)),
          jsonError(429, "Too many requests", {
            ...rateLimitFields(counted),
            "retry-after": String(Math.max(1, seconds(decision.resetAfter)))
          })
        )
      })

    const refused = (response: HttpServerResponse.HttpServerResponse): Verdict => ({ _tag: "Refused", response })
    const admitted = (): Verdict => ({ _tag: "Admitted", headers: counted.length > 0 ? rateLimitFields(counted) : {} })

    return Effect.flatMap(countIn(`${client}:${rule.name}`, rule.name, rule.policy), (refusal) => {
      if (refusal !== undefined) return Effect.succeed(refused(refusal))
      // The client's bucket admitted it: count it against the account it names, if the rule says.
      const perAccount = rule.perAccount
      if (perAccount === undefined) return Effect.sync(admitted)
      return Effect.flatMap(accountOf(request.source as Request), (account) =>
        Option.isNone(account)
          ? Effect.sync(admitted)
          : Effect.map(
            countIn(`account:${account.value}:${rule.name}`, `${rule.name}-account`, perAccount),
            (refusal) => (refusal === undefined ? admitted() : refused(refusal))
          ))
    })
  }
})

/** The middleware: counts requests to limited routes and answers 429 once a bucket is spent. */
export const make = Effect.map(makeDecide, (decide) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(decide(request), (verdict) => {
        if (verdict._tag === "Refused") return Effect.succeed(verdict.response)
        return Object.keys(verdict.headers).length === 0 ? app : Effect.zipRight(withHeaders(verdict.headers), app)
      })))
