/**
 * What the browser tests share: one headless Chromium per test file, a fresh tab per test (its own
 * storage and its own client address), and waits on what the page shows.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import puppeteer from "puppeteer-core"
import type { Browser, HTTPRequest, Page, ResponseForRequest } from "puppeteer-core"
import { afterAll, beforeAll } from "vitest"
import { trustedHost, untrustedHost } from "./globalSetup.js"

export interface Chromium {
  readonly browser: Browser
  readonly close: () => Promise<void>
}

export const launch = async (executablePath: string): Promise<Chromium> => {
  const profile = await mkdtemp(join(tmpdir(), "edge-auth-state-chromium-"))
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--host-resolver-rules=MAP ${trustedHost} 127.0.0.1, MAP ${untrustedHost} 127.0.0.1`
    ]
  })
  return {
    browser,
    close: async () => {
      await browser.close()
      await rm(profile, { recursive: true, force: true })
    }
  }
}

/** The enclosing `describe` block's browser: launched before its tests, closed after them. */
export const sharedBrowser = (executablePath: string): (() => Browser) => {
  let launched: Chromium | undefined
  beforeAll(async () => {
    launched = await launch(executablePath)
  })
  afterAll(async () => {
    await launched?.close()
  })
  return () => {
    if (launched === undefined) throw new Error("the browser is launched before the block's tests")
    return launched.browser
  }
}

/**
 * Every request Chromium sends comes from 127.0.0.1, so each tab gets a client address of its
 * own, added below CORS by request interception, and tabs never share a rate-limit bucket. Each
 * test file takes its own prefix (a /24 of the documentation ranges), as files run in parallel.
 */
export const clientAddresses = (prefix: string) => {
  let clients = 0
  return () => `${prefix}.${++clients}`
}

export interface TabOptions {
  /** The browser's `User-Agent` in this tab (Better Auth records it with each session). */
  readonly userAgent?: string
  /**
   * Answers a request in the test's place (e.g. as a server about to change would), or leaves it
   * to the worker by returning undefined. Asked before every request the tab sends.
   */
  readonly respond?: (request: HTTPRequest) => Promise<Partial<ResponseForRequest> | undefined>
}

/**
 * A fresh tab (its own storage) on `url`, once the page has built its sections; `newTab` opens
 * another tab beside it that shares its storage, as a link opened from a mail would.
 */
export const open = async (browser: Browser, url: string, address: string, options: TabOptions = {}) => {
  const context = await browser.createBrowserContext()
  const errors: Array<string> = []
  const newTab = async (url: string) => {
    const page = await context.newPage()
    page.on("pageerror", (error) => errors.push(String(error)))
    if (options.userAgent !== undefined) await page.setUserAgent({ userAgent: options.userAgent })
    await page.setRequestInterception(true)
    page.on("request", (request) => {
      const forward = () => request.continue({ headers: { ...request.headers(), "cf-connecting-ip": address } })
      if (options.respond === undefined) {
        void forward()
        return
      }
      options.respond(request).then(
        (answer) => (answer === undefined ? forward() : request.respond(answer)),
        (error: unknown) => {
          errors.push(`respond failed for ${request.url()}: ${String(error)}`)
          return request.abort()
        }
      ).catch((error: unknown) => errors.push(String(error)))
    })
    // Ready is when the page says it is built, not the `load` event, which also waits on every
    // script and stylesheet through request interception (Swagger UI's is 1.4 MB).
    await page.goto(url, { waitUntil: "domcontentloaded" })
    await page.waitForSelector("body[data-ready=true]")
    return page
  }
  const page = await newTab(url)
  return { page, errors, newTab, close: () => context.close() }
}

export const text = (page: Page, selector: string) => page.$eval(selector, (element) => element.textContent ?? "")

export const waitForText = async (page: Page, selector: string, expected: string | RegExp) => {
  const source = typeof expected === "string" ? expected : expected.source
  const isRegExp = typeof expected !== "string"
  await page.waitForFunction(
    (selector, source, isRegExp) => {
      const content = document.querySelector(selector)?.textContent ?? ""
      return isRegExp ? new RegExp(source).test(content) : content.includes(source)
    },
    { timeout: 15_000 },
    selector,
    source,
    isRegExp
  ).catch(async (error) => {
    throw new Error(`${selector} never showed ${String(expected)}; it shows: ${await text(page, selector)}`, { cause: error })
  })
}

export const fill = async (page: Page, fields: Record<string, string>) => {
  for (const [id, value] of Object.entries(fields)) {
    await page.$eval(`#${id}`, (input) => ((input as HTMLInputElement).value = ""))
    await page.type(`#${id}`, value)
  }
}

/** The Bearer token the page keeps for the worker at `apiBase`. */
export const storedToken = (page: Page, apiBase: string) =>
  page.evaluate((key) => localStorage.getItem(key), `bearer_token:${apiBase}`)

/** Whether the element `selector` names is hidden (its `hidden` attribute, as the page sets it). */
export const isHidden = (page: Page, selector: string) => page.$eval(selector, (element) => (element as HTMLElement).hidden)
