import type { Page } from "../page.js"

/**
 * One part of the page: built once from the shared `Page`, returned as its element. A new section
 * is a module exporting one of these, listed in `app.ts`.
 */
export type Section = (page: Page) => HTMLElement
