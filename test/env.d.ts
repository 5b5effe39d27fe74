declare module "cloudflare:test" {
  interface ProvidedEnv {
    readonly KV: KVNamespace
    readonly DB: D1Database
    readonly BETTER_AUTH_SECRET: string
    readonly BETTER_AUTH_URL: string
    readonly MAILER: string
    readonly TEST_MIGRATIONS: Array<D1Migration>
  }
}
