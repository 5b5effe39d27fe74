/**
 * The client a request is counted against: its address as Cloudflare reports it, an IPv6 client
 * by its /64, everything unusable in one shared bucket.
 *
 * @module
 */

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
