/**
 * The Worker entry.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === "/health" && request.method === "GET") return Response.json({ status: "ok" })
    return Response.json({ error: "Not found" }, { status: 404 })
  }
} satisfies ExportedHandler
