import { applyD1Migrations, env } from "cloudflare:test"

// Each test file starts from Better Auth's tables.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
