import { defineWorkersProject, readD1Migrations } from "@cloudflare/vitest-pool-workers/config"
import { defineConfig } from "vitest/config"

// Two projects: node (actions and routes with the library's test kit, time moved by TestClock) and
// workerd (the worker as deployed, against Miniflare's KV and D1). A test's time limit guards
// against a hang: a cold first request (Better Auth loaded, a password hashed) can take seconds.
const testTimeout = 30_000

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          testTimeout,
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.workerd.test.ts"]
        }
      },
      defineWorkersProject(async () => ({
        test: {
          name: "workerd",
          testTimeout,
          include: ["test/**/*.workerd.test.ts"],
          setupFiles: ["./test/setup.ts"],
          poolOptions: {
            workers: {
              singleWorker: true,
              main: "./src/worker.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  BETTER_AUTH_SECRET: "test-secret-that-is-at-least-32-characters-long",
                  MAIL_WEBHOOK_TOKEN: "test-webhook-token",
                  TEST_MIGRATIONS: await readD1Migrations("node_modules/edge-auth-state/migrations")
                }
              }
            }
          }
        }
      }))
    ]
  }
})
