declare module "cloudflare:test" {
  // The worker's bindings and variables (`Env`, written by `npm run types` from wrangler.toml), and
  // the migrations the pool applies before each test file.
  interface ProvidedEnv extends Env {
    /** Secrets are not in `Env` (wrangler.toml does not hold them); the pool's bindings give these. */
    readonly BETTER_AUTH_SECRET: string
    readonly TEST_MIGRATIONS: Array<D1Migration>
  }
}
