import { defineWorkersProject, readD1Migrations } from "@cloudflare/vitest-pool-workers/config"
import { defineConfig } from "vitest/config"

// One `vitest run` drives three projects:
// - node:    unit tests on the in-memory Kv, time moved by Effect's TestClock.
// - workerd: integration tests inside workerd against Miniflare's real KV and D1 simulators.
// - browser: the page at `/` in headless Chromium against `wrangler dev` (skipped, saying so once,
//            when there is no Chromium).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.workerd.test.ts", "test/**/*.browser.test.ts"]
        }
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test/**/*.browser.test.ts"],
          globalSetup: ["./test/browser/globalSetup.ts"],
          // After the other projects, so Chromium and a second workerd do not slow their timed tests.
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 60_000
        }
      },
      defineWorkersProject(async () => ({
        test: {
          name: "workerd",
          include: ["test/**/*.workerd.test.ts"],
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
