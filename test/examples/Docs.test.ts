// Every TypeScript block in README.md and docs/ is a real file of the project: compiled by
// `npm run typecheck`, and run if it is a test. This keeps the pages and the files equal.
import { describe, expect, it } from "vitest"

// The project is typed for workerd (no Node types), so Node's modules are typed here by hand.
const { existsSync, readdirSync, readFileSync } = (await import("node:fs" as string)) as {
  existsSync(path: string): boolean
  readdirSync(path: string): Array<string>
  readFileSync(path: string, encoding: "utf8"): string
}
const { dirname, join } = (await import("node:path" as string)) as {
  dirname(path: string): string
  join(...parts: Array<string>): string
}
const root = (globalThis as unknown as { process: { cwd(): string } }).process.cwd()
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]
const checkedLanguages = new Set(["ts", "typescript", "js", "javascript", "tsx"])

interface Block {
  readonly page: string
  readonly line: number
  readonly language: string
  readonly marker: string | undefined
  readonly text: string
}

const blocksOf = (page: string): ReadonlyArray<Block> => {
  const lines = readFileSync(join(root, page), "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(indent))
    const previous = lines.slice(0, start).reverse().find((l) => l.trim() !== "")
    const marker = previous && /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(previous)?.[1]
    blocks.push({ page, line: start + 1, language: open[2]!, marker: marker || undefined, text: body.join("\n") })
  }
  return blocks
}

const linesOf = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "")

const containsInOrder = (file: ReadonlyArray<string>, block: ReadonlyArray<string>) =>
  file.some((_, start) => block.every((line, k) => file[start + k] === line))

describe.each(pages)("%s", (page) => {
  const blocks = blocksOf(page).filter((b) => checkedLanguages.has(b.language))
  if (blocks.length === 0) {
    it("has no TypeScript blocks", () => expect(blocks).toEqual([]))
    return
  }
  it.each(blocks.map((b) => [`line ${b.line}`, b] as const))("code block at %s is a real file", (_, block) => {
    expect(block.marker ?? "", `${page}:${block.line} needs <!-- file: ... -->, <!-- from: ... --> or <!-- snippet -->`)
      .toMatch(/^(file|from):\s*\S+$|^snippet$/)
    const [kind, path] = block.marker!.split(/:\s*/)
    if (kind === "snippet") return
    const file = join(root, path!)
    expect(existsSync(file), `${path} exists`).toBe(true)
    const content = readFileSync(file, "utf8")
    if (kind === "file") expect(block.text.trimEnd()).toBe(content.trimEnd())
    else expect(containsInOrder(linesOf(content), linesOf(block.text)), `${path} contains the block`).toBe(true)
  })
})

describe("links between pages", () => {
  it.each(pages)("%s links only to files that exist", (page) => {
    const text = readFileSync(join(root, page), "utf8")
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t))
    const missing = targets.filter((t) => !existsSync(join(root, dirname(page), t)))
    expect(missing).toEqual([])
  })
})
