/**
 * The API's page at `/docs/` (Swagger UI over `/openapi.json`) in headless Chromium against the real
 * worker (`wrangler dev`, whose build copies Swagger UI): every operation shown, the worker's and
 * Better Auth's; reached from the page at `/`; served from another origin too; and an operation
 * tried from it.
 */
import type { Page } from "puppeteer-core"
import { describe, expect, inject, it } from "vitest"
import { clientAddresses, open as openTab, sharedBrowser } from "./chromium.js"

const chromium = inject("chromium")
const worker = inject("worker")
const clientAddress = clientAddresses("198.19.1")

/** The operations the page shows, as `METHOD path`. */
const operations = (page: Page) =>
  page.$$eval(".opblock-summary", (summaries) =>
    summaries.map((s) => `${s.querySelector(".opblock-summary-method")?.textContent ?? ""} ${s.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? ""}`))

describe.skipIf(chromium === "")("the API's page in a real browser", () => {
  const browser = sharedBrowser(chromium)

  const expectEveryRoute = async (page: Page) => {
    const shown = await operations(page)
    expect(shown).toEqual(expect.arrayContaining([
      "GET /health",
      "GET /api/me",
      "GET /api/actions/analytics-summary",
      "POST /api/auth/sign-up/email",
      "POST /api/auth/sign-in/email",
      "POST /api/auth/sign-out",
      "GET /api/auth/list-sessions",
      "POST /api/auth/sign-in/magic-link",
      "GET /api/auth/passkey/list-user-passkeys"
    ]))
    expect(shown.filter((s) => s.includes("social"))).toEqual([])
    const tags = await page.$$eval(".opblock-tag", (headings) => headings.map((h) => h.getAttribute("data-tag")))
    expect(tags).toEqual(["system", "account", "actions", "auth", "auth.magic-link", "auth.passkey"])
    // The Bearer scheme: one button to give a token for every operation that takes one.
    expect(await page.$(".auth-wrapper .authorize")).not.toBeNull()
  }

  it("on the worker's origin: every operation, the worker's and Better Auth's, grouped by tag", async () => {
    const { page, errors, close } = await openTab(browser(), `${worker}/docs/`, clientAddress())
    await expectEveryRoute(page)
    expect(await page.$eval("#document", (a) => (a as HTMLAnchorElement).href)).toBe(`${worker}/openapi.json`)
    expect(errors).toEqual([])
    await close()
  })

  it("linked from the page at /", async () => {
    const { page, errors, close } = await openTab(browser(), `${worker}/`, clientAddress())
    expect(await page.$eval("#api-docs", (a) => (a as HTMLAnchorElement).href)).toBe(`${worker}/docs/`)
    await page.click("#api-docs")
    // What the reader waits for: the API's page, built; not the navigation's `load` event, which
    // also waits on Swagger UI's 1.4 MB script through request interception.
    await page.waitForFunction(
      () => location.pathname === "/docs/" && document.body?.dataset["ready"] === "true",
      { timeout: 60_000 }
    ).catch(async (error) => {
      const state = await page.evaluate(() => `${location.href} (${document.readyState})`).catch(String)
      throw new Error(`the API's page was not built after the click; the tab shows ${state}`, { cause: error })
    })
    expect(page.url()).toBe(`${worker}/docs/`)
    expect((await operations(page)).length).toBeGreaterThan(30)
    expect(errors).toEqual([])
    await close()
  })

  it("served from another origin (config.json names the worker): the worker's document, through CORS", async () => {
    const { page, errors, close } = await openTab(browser(), `${inject("trustedApp")}/docs/`, clientAddress())
    await expectEveryRoute(page)
    expect(await page.$eval("#document", (a) => (a as HTMLAnchorElement).href)).toBe(`${worker}/openapi.json`)
    expect(errors).toEqual([])
    await close()
  })

  it("an operation tried from the page reaches the worker", async () => {
    const { page, errors, close } = await openTab(browser(), `${worker}/docs/`, clientAddress())
    const operation = `.opblock:has(.opblock-summary-path[data-path="/api/capabilities"])`
    await page.click(`${operation} .opblock-summary-control`)
    await page.waitForSelector(`${operation} .try-out__btn`)
    await page.click(`${operation} .try-out__btn`)
    await page.click(`${operation} .execute`)
    await page.waitForSelector(`${operation} .live-responses-table tbody .response-col_status`)
    const status = await page.$eval(`${operation} .live-responses-table tbody .response-col_status`, (cell) => cell.textContent?.trim())
    expect(status).toBe("200")
    const body = await page.$eval(`${operation} .live-responses-table tbody .microlight`, (code) => code.textContent ?? "")
    expect(JSON.parse(body)).toEqual({ mail: true, passkeys: true })
    expect(errors).toEqual([])
    await close()
  })
})
