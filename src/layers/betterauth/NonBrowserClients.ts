/**
 * Requests from server-side clients, as Better Auth's CSRF guard should see them.
 *
 * @module
 */

/**
 * Better Auth guards sign-in and sign-up against cross-site form posts: a request with Fetch
 * Metadata (`Sec-Fetch-*`) must carry a trusted `Origin`. Server-side clients (Node's fetch among
 * them) send Fetch Metadata but no `Origin`, which no browser does for a POST. A request with no
 * `Origin`, `Referer` or `Cookie` therefore cannot be a browser's cross-site request, so its Fetch
 * Metadata is dropped and Better Auth treats it as the non-browser client it is. Browser requests
 * keep every check.
 */
export const forNonBrowserClients = (request: Request): Request => {
  // Only state-changing requests are checked by Better Auth's CSRF guard.
  if (request.method === "GET" || request.method === "HEAD") return request
  const headers = request.headers
  if (headers.has("origin") || headers.has("referer") || headers.has("cookie")) return request
  if (!headers.has("sec-fetch-site") && !headers.has("sec-fetch-mode") && !headers.has("sec-fetch-dest")) return request
  const stripped = new Headers(headers)
  stripped.delete("sec-fetch-site")
  stripped.delete("sec-fetch-mode")
  stripped.delete("sec-fetch-dest")
  stripped.delete("sec-fetch-user")
  return new Request(request, { headers: stripped })
}
