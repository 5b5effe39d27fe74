declare module "cloudflare:test" {
  interface ProvidedEnv {
    readonly KV: KVNamespace
    readonly DB: D1Database
    readonly BETTER_AUTH_SECRET: string
    readonly BETTER_AUTH_URL: string
    readonly MAILER: string
    readonly TEST_MIGRATIONS: Array<D1Migration>
    readonly RATE_LIMITER: DurableObjectNamespace
    readonly SESSION_REVOCATIONS: DurableObjectNamespace
    readonly RATE_LIMIT_5_PER_60S: RateLimit
    readonly RATE_LIMIT_3_PER_60S: RateLimit
    readonly RATE_LIMIT_100_PER_60S: RateLimit
    readonly RATE_LIMIT_10_PER_60S: RateLimit
    readonly RATE_LIMIT_20_PER_60S: RateLimit
  }
}
