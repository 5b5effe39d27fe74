/**
 * The endpoint a request is counted under: its path, normalised so that every spelling of a route
 * (case, repeated and trailing slashes, percent-encoding, dot segments, `;params`) shares a bucket,
 * whether or not the router would route it.
 *
 * @module
 */

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

/** The path of a request URL, absolute or origin-relative; `//a/b` is a path here, not a host. */
export const pathOf = (url: string): string =>
  url.startsWith("/") ? url.split(/[?#]/, 1)[0]! : new URL(url).pathname
