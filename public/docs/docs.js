// The API's page: Swagger UI (swagger-ui/, copied by `npm run build:docs`) over the worker's
// OpenAPI document. The worker is the page's own origin, or the one `config.json` beside the page
// at `/` names when the page is served elsewhere (as the page at `/` reads it; never a query
// parameter, which Swagger UI's own `?url=` would be: it is off, its default).
const apiBase = async () => {
  const response = await fetch("../config.json", { cache: "no-store" }).catch(() => undefined)
  const body = response?.ok ? await response.json().catch(() => ({})) : {}
  return typeof body?.apiBase === "string" ? new URL(body.apiBase, location.href).origin : location.origin
}

const url = new URL("/openapi.json", await apiBase()).href
document.getElementById("document").href = url
window.ui = SwaggerUIBundle({
  url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // Marked as the page at `/` is once built (its browser tests wait for it).
  onComplete: () => (document.body.dataset.ready = "true")
})
