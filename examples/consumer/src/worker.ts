/**
 * The worker: the library's routes (Better Auth under /api/auth, /api/me, /health, /openapi.json)
 * with this project's action, rate-limit rules, mailer and trusted origins. Everything else is
 * configuration in wrangler.toml and its secrets.
 */
import { Rules, Worker } from "edge-auth-state"
import * as Members from "./actions/Members.js"
import * as WebhookMailer from "./WebhookMailer.js"

export default Worker.make({
  actions: [Members.action],
  rateLimits: {
    rules: [
      // Stricter than the default (5 a minute per client address); the account budgets stay.
      { ...Rules.defaultRule("sign-in"), policy: { limit: 3, window: "1 minute" } },
      // A rule of this project's own, checked before the defaults.
      { name: "members", paths: ["/api/actions/members"], policy: { limit: 10, window: "1 minute" }, onFailure: "open" }
    ]
  },
  mailer: (env: Env) => WebhookMailer.layer(env),
  trustedOrigins: ["https://app.example.com"],
  betterAuth: { appName: "Consumer example" }
}) satisfies ExportedHandler<Env>
