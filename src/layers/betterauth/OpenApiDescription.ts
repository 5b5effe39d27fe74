/**
 * Better Auth's routes in OpenAPI 3.1 as this worker serves them (`AuthProvider.openApi`), from the
 * document its `openAPI` plugin generates (`auth.api.generateOpenAPISchema()`). The plugin is added
 * to a Better Auth made for that alone, with the options the worker's own has: the one that answers
 * requests never has its routes, and is not changed by it. Changed from what the plugin writes:
 * - every path under the auth base path (`/sign-in/email` is `/api/auth/sign-in/email`);
 * - routes that answer nothing useful with the options the worker runs with left out: social
 *   sign-in, linking and provider tokens without social providers, user deletion and email changes
 *   while they are off, and Better Auth's HTML error page (the worker answers JSON errors). The
 *   plugin lists none of its own routes;
 * - security names the worker's Bearer scheme instead of `bearerAuth`, and never `apiKeyCookie`
 *   (a scheme of Better Auth's API-key plugin, which the worker does not have). The plugin says
 *   every operation requires it; here only those behind one of Better Auth's session middlewares
 *   do (`[{ bearer: [] }]`), and the others take it when sent (`[{}, { bearer: [] }]`: sign-in,
 *   sign-up, `get-session`, `sign-out` and the like; Better Auth reads a Bearer token on every route);
 * - tags `auth` (Better Auth's own routes) and `auth.<plugin>`.
 *
 * @module
 */
import type { BetterAuthOptions } from "better-auth"
import type { AuthOpenApi } from "../../services/AuthProvider.js"
import type { Library } from "./Library.js"

/** Better Auth's middlewares that refuse a request without a session (401). */
export type SessionMiddlewares = Pick<Library, "freshSessionMiddleware" | "requestOnlySessionMiddleware" | "sensitiveSessionMiddleware" | "sessionMiddleware">

/** An endpoint in `auth.api`, as far as read here. */
interface Endpoint {
  readonly path?: string
  readonly options?: { readonly use?: ReadonlyArray<unknown> }
}

/** The paths (OpenAPI style, `{id}` for `:id`) of `api`'s endpoints that require a session. */
export const sessionPaths = (api: object, middlewares: SessionMiddlewares): ReadonlySet<string> => {
  const requiring = new Set<unknown>(Object.values(middlewares))
  const paths = new Set<string>()
  for (const endpoint of Object.values(api) as ReadonlyArray<Endpoint>) {
    if (endpoint.path === undefined || !(endpoint.options?.use ?? []).some((m) => requiring.has(m))) continue
    paths.add(endpoint.path.split("/").map((segment) => (segment.startsWith(":") ? `{${segment.slice(1)}}` : segment)).join("/"))
  }
  return paths
}

/** The parts of the plugin's document read here. */
interface Generated {
  readonly paths?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  readonly components?: { readonly schemas?: Readonly<Record<string, unknown>> }
}

/** Routes for accounts at social providers (OAuth): sign-in, its callback, linking, tokens. */
const socialPaths = ["/sign-in/social", "/callback/{id}", "/link-social", "/unlink-account", "/refresh-token", "/get-access-token", "/account-info"]

/** The plugin's paths (relative to the base path) that `options` leave without a use. */
export const notOffered = (options: BetterAuthOptions): ReadonlySet<string> =>
  new Set([
    ...(Object.keys(options.socialProviders ?? {}).length === 0 ? socialPaths : []),
    ...(options.user?.deleteUser?.enabled === true ? [] : ["/delete-user", "/delete-user/callback"]),
    ...(options.user?.changeEmail?.enabled === true ? [] : ["/change-email"]),
    "/error"
  ])

const coreTag = { name: "auth", description: "Better Auth's routes: email and password, sessions, the user's account." }

/** `Default` (Better Auth's core) is `auth`; a plugin's tag `Magic-link` is `auth.magic-link`. */
const tagName = (tag: string) => (tag === "Default" ? coreTag.name : `${coreTag.name}.${tag.toLowerCase()}`)

/** An operation with its tags and security changed (see the module's comment). */
const operation = (value: unknown, bearerScheme: string, sessionRequired: boolean, tags: Set<string>): unknown => {
  if (typeof value !== "object" || value === null) return value
  const { security: _generated, tags: given, ...rest } = value as { readonly security?: unknown; readonly tags?: unknown }
  const named = (Array.isArray(given) ? given : ["Default"]).filter((t): t is string => typeof t === "string").map(tagName)
  for (const tag of named) tags.add(tag)
  const bearer = { [bearerScheme]: [] }
  return { ...rest, tags: [...new Set(named)], security: sessionRequired ? [bearer] : [{}, bearer] }
}

/**
 * `generated` (the plugin's document) as the worker serves its routes under `basePath`, where the
 * paths in `sessionRequired` refuse a request without a session.
 */
export const fromGenerated = (generated: unknown, options: {
  readonly auth: BetterAuthOptions
  readonly basePath: string
  readonly bearerScheme: string
  readonly sessionRequired: ReadonlySet<string>
}): AuthOpenApi => {
  const document = (typeof generated === "object" && generated !== null ? generated : {}) as Generated
  const dropped = notOffered(options.auth)
  const tags = new Set<string>()
  const paths: Record<string, unknown> = {}
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (dropped.has(path)) continue
    const required = options.sessionRequired.has(path)
    paths[`${options.basePath}${path}`] = Object.fromEntries(
      Object.entries(item).map(([method, op]) => [method, operation(op, options.bearerScheme, required, tags)])
    )
  }
  return {
    paths,
    schemas: { ...document.components?.schemas },
    tags: [...tags].sort().map((name) =>
      name === coreTag.name ? coreTag : { name, description: `Better Auth's ${name.slice(coreTag.name.length + 1)} plugin.` }
    )
  }
}

/**
 * The routes of a Better Auth made from `library` with `options` (the worker's), as the worker
 * serves them (see the module's comment). Fails if `library` has no `openAPI` plugin.
 */
export const describe = async (library: Library, options: BetterAuthOptions, bearerScheme: string): Promise<AuthOpenApi> => {
  if (library.openAPI === undefined) throw new Error("the Better Auth library loaded has no openAPI plugin (LibraryLoader.openApi)")
  const auth = library.betterAuth({ ...options, plugins: [...(options.plugins ?? []), library.openAPI({ disableDefaultReference: true })] })
  return fromGenerated(await auth.api.generateOpenAPISchema(), {
    auth: options,
    basePath: options.basePath ?? "/api/auth",
    bearerScheme,
    sessionRequired: sessionPaths(auth.api, library)
  })
}
