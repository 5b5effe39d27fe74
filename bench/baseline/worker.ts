/**
 * The benchmark's baseline: the same three request kinds written by hand, without Effect and
 * without this project's layers, using the same libraries where the work needs them (Better Auth
 * with the bearer plugin and D1, sessions in KV under the same keys and values).
 */
import { betterAuth } from "better-auth"
import { bearer } from "better-auth/plugins"

interface Env {
  readonly KV: KVNamespace
  readonly DB: D1Database
  readonly BETTER_AUTH_SECRET: string
  readonly BETTER_AUTH_URL: string
}

const storageKey = (key: string) => (/^[A-Za-z0-9]{32}$/.test(key) ? `session:${key}` : `auth:${key}`)

const makeAuth = (env: Env) =>
  betterAuth({
    baseURL: env.BETTER_AUTH_URL,
    basePath: "/api/auth",
    secret: env.BETTER_AUTH_SECRET,
    database: env.DB,
    emailAndPassword: { enabled: true },
    plugins: [bearer()],
    session: { expiresIn: 7 * 86400, updateAge: 86400 },
    verification: { storeInDatabase: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    secondaryStorage: {
      get: async (key) => {
        const entry = await env.KV.getWithMetadata<{ expiresAt?: number }>(storageKey(key))
        if (entry.value === null) return null
        if (entry.metadata?.expiresAt !== undefined && entry.metadata.expiresAt <= Date.now()) return null
        return entry.value
      },
      set: async (key, value, ttl) => {
        if (ttl === undefined) return env.KV.put(storageKey(key), value)
        if (ttl <= 0) return env.KV.delete(storageKey(key))
        await env.KV.put(storageKey(key), value, {
          expirationTtl: Math.max(60, Math.ceil(ttl)),
          metadata: { expiresAt: Date.now() + ttl * 1000 }
        })
      },
      delete: (key) => env.KV.delete(storageKey(key)),
      getAndDelete: () => {
        throw new Error("not supported over KV")
      },
      increment: () => {
        throw new Error("not supported over KV")
      }
    }
  })

let auth: ReturnType<typeof makeAuth> | undefined

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

const session = async (request: Request) => {
  const header = request.headers.get("authorization") ?? ""
  if (!/^bearer\s+\S+$/i.test(header)) return null
  return auth!.api.getSession({ headers: request.headers })
}

/** A fixed-window counter: one read, one write, as the project's limiter does under its limit. */
const rateLimited = async (env: Env, request: Request, bucket: string, limit: number) => {
  const ip = request.headers.get("cf-connecting-ip") ?? "unknown"
  const key = `ratelimit:${ip}:${bucket}`
  const windowMillis = 60_000
  const now = Date.now()
  const windowStart = Math.floor(now / windowMillis) * windowMillis
  const stored = await env.KV.getWithMetadata<{ windowStart: number }>(key)
  const count = stored.value !== null && stored.metadata?.windowStart === windowStart ? Number(stored.value) : 0
  const reset = Math.ceil((windowStart + windowMillis - now) / 1000)
  if (count >= limit) return json({ error: "Too many requests" }, 429, { "retry-after": String(reset) })
  await env.KV.put(key, String(count + 1), {
    expirationTtl: Math.max(60, reset),
    metadata: { windowStart, windowMillis }
  })
  return undefined
}

export default {
  async fetch(request, env) {
    auth ??= makeAuth(env)
    const url = new URL(request.url)
    if (url.pathname === "/health") return json({ status: "ok" })
    if (url.pathname === "/api/me") {
      const found = await session(request)
      if (!found) return json({ error: "Unauthorized" }, 401)
      const { user } = found
      return json({
        user: { id: user.id, name: user.name, email: user.email, emailVerified: user.emailVerified, image: user.image ?? null, createdAt: user.createdAt, updatedAt: user.updatedAt },
        session: { id: found.session.id, expiresAt: found.session.expiresAt, createdAt: found.session.createdAt }
      })
    }
    if (url.pathname === "/api/actions/analytics-summary") {
      const found = await session(request)
      if (!found) return json({ error: "Unauthorized" }, 401)
      const days = Number(url.searchParams.get("days") ?? "7")
      const cached = await env.KV.getWithMetadata<{ freshUntil: number }>(`cache:analytics-summary:${days}`)
      if (cached.value !== null && (cached.metadata?.freshUntil ?? 0) > Date.now()) {
        return json(JSON.parse(cached.value))
      }
      const to = new Date().toISOString().slice(0, 10)
      const from = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10)
      const totals = await env.DB.prepare(
        `select coalesce(sum("views"), 0) as "totalViews", count(distinct "path") as "uniquePaths" from "page_views" where "day" between ?1 and ?2`
      ).bind(from, to).first<{ totalViews: number; uniquePaths: number }>()
      const top = await env.DB.prepare(
        `select "path", sum("views") as "views" from "page_views" where "day" between ?1 and ?2 group by "path" order by "views" desc, "path" limit 5`
      ).bind(from, to).all<{ path: string; views: number }>()
      const summary = { days, from, to, totalViews: totals?.totalViews ?? 0, uniquePaths: totals?.uniquePaths ?? 0, topPaths: top.results, generatedAt: new Date() }
      const now = Date.now()
      await env.KV.put(`cache:analytics-summary:${days}`, JSON.stringify(summary), {
        expirationTtl: 300,
        metadata: { freshUntil: now + 300_000, staleUntil: now + 300_000 }
      })
      return json(summary)
    }
    if (url.pathname.startsWith("/api/auth/")) {
      const limited = await rateLimited(env, request, "auth", 100)
      if (limited) return limited
      return auth.handler(request)
    }
    return json({ error: "Not found" }, 404)
  }
} satisfies ExportedHandler<Env>
