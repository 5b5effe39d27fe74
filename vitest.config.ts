import { defineWorkersProject } from "@cloudflare/vitest-pool-workers/config"
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
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.workerd.test.ts"]
        }
      },
      defineWorkersProject({
        test: {
          name: "workerd",
          include: ["test/**/*.workerd.test.ts"],
          poolOptions: {
            workers: {
              singleWorker: true,
              wrangler: { configPath: "./wrangler.toml" }
            }
          }
        }
      })
    ]
  }
})
