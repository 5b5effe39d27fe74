import { defineWorkersProject, readD1Migrations } from "@cloudflare/vitest-pool-workers/config"
import { defineConfig } from "vitest/config"
import * as PoolOutput from "./test/workerd/poolOutput.js"

// One `vitest run` drives three projects:
// - node:    unit tests on the in-memory Kv, time moved by Effect's TestClock.
// - workerd: integration tests inside workerd against Miniflare's real KV and D1 simulators.
// - browser: the page at `/` in headless Chromium against `wrangler dev` (skipped, saying so once,
//            when there is no Chromium).

// This file runs in Node; the project's types are the Workers' (no @types/node).
declare const process: {
  readonly env: Record<string, string | undefined>
  readonly stdout: { write(chunk: unknown, ...rest: Array<unknown>): boolean }
  readonly stderr: { write(chunk: unknown, ...rest: Array<unknown>): boolean }
}

// The workers pool's own progress and workerd's known noise stay off the output (see the module).
if (process.env.TEST_LOGS !== "all") {
  PoolOutput.filter(process.stdout)
  PoolOutput.filter(process.stderr)
}

// A test's time limit guards against a hang, not a slow machine: speed is measured by the
// benchmarks. Vitest's default of 5 s fails the 25 MiB KV cases on a busy 2-core machine.
const testTimeout = 60_000

export default defineConfig({
  // The workerd pool resolves the modules that workerd asks it for with the root server's resolver,
  // so this alias is here and not in the workerd project. It is for Better Auth's optional tracing
  // import; see the module for why.
  resolve: {
    alias: { "@opentelemetry/api": "/test/workerd/opentelemetry-api-absent.ts" }
  },
  test: {
    // Logs (the worker's JSON lines, Better Auth's warnings) are shown for failing tests only, so a
    // green run prints the summary alone. `TEST_LOGS=all npm test` shows them all, and the pool's
    // own lines too.
    silent: process.env.TEST_LOGS === "all" ? false : "passed-only",
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          testTimeout,
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
          testTimeout,
          hookTimeout: 60_000
        }
      },
      defineWorkersProject(async () => {
        // The worker imports Better Auth from its own bundle (see src/layers/GeneratedLibrary.ts),
        // and serves Swagger UI's files among its static assets (public/docs/).
        await import("./scripts/build-auth-library.js")
        await import("./scripts/copy-swagger-ui.mjs")
        return {
          test: {
            name: "workerd",
            testTimeout,
            include: ["test/**/*.workerd.test.ts"],
            setupFiles: ["./test/workerd/setup.ts"],
            poolOptions: {
              workers: {
                singleWorker: true,
                main: "./src/http/main.ts",
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
        }
      })
    ]
  }
})
