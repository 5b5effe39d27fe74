/**
 * The whole API in one OpenAPI document: the platform's document of the typed API
 * (`OpenApi.fromApi`: the worker's endpoints and actions) with the auth provider's routes merged in
 * (`AuthProvider.openApi`), under the one Bearer security scheme.
 *
 * @module
 */
import type * as OpenApi from "@effect/platform/OpenApi"
import type { AuthOpenApi } from "../services/AuthProvider.js"

/** The scheme's name when the document has no Bearer scheme yet. */
const defaultBearerScheme = "bearer"

/** The name of `spec`'s HTTP Bearer security scheme (the platform names it after the middleware's key). */
export const bearerSchemeOf = (spec: OpenApi.OpenAPISpec): string =>
  Object.entries(spec.components.securitySchemes).find(([, scheme]) => scheme.type === "http" && scheme.scheme.toLowerCase() === "bearer")?.[0] ??
    defaultBearerScheme

/** `value` with every `$ref` to a schema renamed by `renamed` (old name to new). */
const renameRefs = (value: unknown, renamed: ReadonlyMap<string, string>): unknown => {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, renamed))
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => {
    if (key === "$ref" && typeof item === "string" && item.startsWith("#/components/schemas/")) {
      const name = item.slice("#/components/schemas/".length)
      return [key, `#/components/schemas/${renamed.get(name) ?? name}`]
    }
    return [key, renameRefs(item, renamed)]
  }))
}

/**
 * `spec` with `auth`'s paths, schemas and tags added. A provider's schema named like one of the
 * API's is renamed (`Auth<name>`, and every reference to it), so neither side's references change
 * meaning; the API's paths and tags come first and are never replaced.
 */
export const withAuthRoutes = (spec: OpenApi.OpenAPISpec, auth: AuthOpenApi): OpenApi.OpenAPISpec => {
  const taken = new Set(Object.keys(spec.components.schemas))
  const renamed = new Map<string, string>()
  for (const name of Object.keys(auth.schemas)) {
    if (!taken.has(name)) continue
    let candidate = `Auth${name}`
    for (let n = 2; taken.has(candidate) || candidate in auth.schemas; n++) candidate = `Auth${name}${n}`
    renamed.set(name, candidate)
    taken.add(candidate)
  }
  const schemas = Object.fromEntries(Object.entries(auth.schemas).map(([name, schema]) => [renamed.get(name) ?? name, renameRefs(schema, renamed)]))
  const paths = Object.fromEntries(Object.entries(auth.paths).filter(([path]) => !(path in spec.paths)).map(([path, item]) => [path, renameRefs(item, renamed)]))
  const bearer = bearerSchemeOf(spec)
  const known = new Set(spec.tags.map((tag) => tag.name))
  return {
    ...spec,
    paths: { ...spec.paths, ...(paths as OpenApi.OpenAPISpecPaths) },
    components: {
      ...spec.components,
      schemas: { ...spec.components.schemas, ...(schemas as OpenApi.OpenAPIComponents["schemas"]) },
      securitySchemes: { ...spec.components.securitySchemes, [bearer]: spec.components.securitySchemes[bearer] ?? { type: "http", scheme: "bearer" } }
    },
    tags: [...spec.tags, ...auth.tags.filter((tag) => !known.has(tag.name))]
  }
}
