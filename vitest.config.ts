import { defineWorkersProject, readD1Migrations } from "@cloudflare/vitest-pool-workers/config"
import { defineConfig } from "vitest/config"

// One `vitest run` drives two projects:
// - node:    unit tests on the in-memory Kv, time moved by Effect's TestClock.
// - workerd: integration tests inside workerd against Miniflare's real KV and D1 simulators.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          // A watchdog, not a speed check: on a busy shared machine a 25 MiB value or a few
          // password hashes can take more than the default 5 s of wall-clock time.
          testTimeout: 20_000,
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.workerd.test.ts"]
        }
      },
      defineWorkersProject(async () => ({
        test: {
          name: "workerd",
          include: ["test/**/*.workerd.test.ts"],
          testTimeout: 20_000,
          setupFiles: ["./test/workerd/setup.ts"],
          poolOptions: {
            workers: {
              singleWorker: true,
              main: "./src/http/worker.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  // Test-only values; the pool does not read .dev.vars.
                  BETTER_AUTH_SECRET: "test-secret-that-is-at-least-32-characters-long",
                  // Mail is kept in the outbox (and read at /dev/outbox), as under `npm run dev`.
                  MAILER: "outbox",
                  TEST_MIGRATIONS: await readD1Migrations("./migrations")
                }
              }
            }
          }
        }
      }))
    ]
  }
})
