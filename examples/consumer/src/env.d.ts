// The secrets (`wrangler secret put NAME`; locally .dev.vars): `wrangler types` lists [vars] only.
interface Env {
  readonly BETTER_AUTH_SECRET: string
  readonly MAIL_WEBHOOK_TOKEN: string
}
