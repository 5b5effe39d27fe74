/**
 * Starts what the browser tests run against, once for the project: the real worker under
 * `wrangler dev` (its own port, its own fresh local KV and D1 with the migrations applied), and the
 * same page served from two other origins, one listed in TRUSTED_ORIGINS and one not. Without a
 * Chromium it says so, once, and the tests are skipped (unless BROWSER_TESTS_REQUIRED=1, as in CI).
 */
import { spawn, execFile } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import type { TestProject } from "vitest/node"
import { serveStatic } from "./staticServer.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The Chromium to drive, or "" when there is none (the tests are skipped). */
    readonly chromium: string
    /** The worker's origin, e.g. http://127.0.0.1:41234. */
    readonly worker: string
    /** The page on an origin in TRUSTED_ORIGINS, and on one that is not. */
    readonly trustedApp: string
    readonly untrustedApp: string
  }
}

/** Hosts Chromium resolves to 127.0.0.1 (`--host-resolver-rules`): other sites than the worker's. */
export const trustedHost = "app.test"
export const untrustedHost = "evil.test"

const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** `BROWSER_TEST_PORTS=worker,inspector,trusted,untrusted` fixes the ports; otherwise free ones. */
const ports = async () => {
  const fixed = process.env["BROWSER_TEST_PORTS"]?.split(",").map(Number)
  if (fixed?.length === 4 && fixed.every((p) => Number.isInteger(p) && p > 0)) return fixed as [number, number, number, number]
  return [await freePort(), await freePort(), await freePort(), await freePort()] as const
}

const waitForHealth = async (url: string, worker: ChildProcess, output: () => string) => {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (worker.exitCode !== null) throw new Error(`wrangler dev exited (${worker.exitCode}):\n${output()}`)
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`wrangler dev did not answer /health within 90 s:\n${output()}`)
}

export default async function setup(project: TestProject) {
  const chromium = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
  if (!existsSync(chromium)) {
    if (process.env["BROWSER_TESTS_REQUIRED"] === "1") {
      throw new Error(`BROWSER_TESTS_REQUIRED is set and there is no Chromium at ${chromium}`)
    }
    console.warn(
      `\nBrowser tests skipped: no Chromium at ${chromium}. Install it (Debian/Ubuntu: apt-get install -y chromium) ` +
        "or set CHROMIUM_PATH. CI installs it and always runs them.\n"
    )
    project.provide("chromium", "")
    project.provide("worker", "")
    project.provide("trustedApp", "")
    project.provide("untrustedApp", "")
    return
  }

  const [workerPort, inspectorPort, trustedPort, untrustedPort] = await ports()
  const worker = `http://127.0.0.1:${workerPort}`
  const trustedApp = `http://${trustedHost}:${trustedPort}`
  const untrustedApp = `http://${untrustedHost}:${untrustedPort}`
  const state = await mkdtemp(join(tmpdir(), "edge-auth-state-browser-"))
  const wrangler = join(process.cwd(), "node_modules", ".bin", "wrangler")

  await promisify(execFile)(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { env: wranglerEnv })
  let output = ""
  const dev = spawn(wrangler, [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(workerPort),
    "--inspector-port", String(inspectorPort),
    "--persist-to", state,
    "--var", `BETTER_AUTH_SECRET:browser-tests-${crypto.randomUUID()}`,
    "--var", `TRUSTED_ORIGINS:${trustedApp}`,
    // Mail stays in the outbox, as under `npm run dev`.
    "--var", "MAILER:outbox",
    "--show-interactive-dev-session=false"
  ], { env: wranglerEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()))
  dev.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()))

  const stop = async () => {
    // wrangler dev and the workerd it starts share the process group spawned here.
    if (dev.exitCode === null && dev.pid !== undefined) {
      const exited = new Promise((resolve) => dev.once("exit", resolve))
      process.kill(-dev.pid, "SIGTERM")
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
      if (dev.exitCode === null) process.kill(-dev.pid, "SIGKILL")
    }
    await rm(state, { recursive: true, force: true })
  }

  try {
    await waitForHealth(worker, dev, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  const root = join(process.cwd(), "public")
  const servers = [
    await serveStatic({ root, port: trustedPort, apiBase: worker }),
    await serveStatic({ root, port: untrustedPort, apiBase: worker })
  ]

  project.provide("chromium", chromium)
  project.provide("worker", worker)
  project.provide("trustedApp", trustedApp)
  project.provide("untrustedApp", untrustedApp)

  return async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
    await stop()
  }
}
