declare module "cloudflare:test" {
  interface ProvidedEnv {
    readonly KV: KVNamespace
    readonly DB: D1Database
  }
}
