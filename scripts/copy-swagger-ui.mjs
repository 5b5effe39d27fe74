// npm run build:docs: Swagger UI's files from the swagger-ui-dist package into public/docs/swagger-ui/,
// for the API's browsable page (public/docs/index.html, reading /openapi.json). Static assets, so
// the worker's bundle does not grow. Not committed (.gitignore): wrangler's custom build runs this
// before every `wrangler dev` (`npm run dev`, the browser tests), `npm run build` and deploy, and
// the test configuration runs it before the workerd tests.
//
// A file is written only when it changed: `wrangler dev` reloads on changed assets.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"))
const target = join(root, "public", "docs", "swagger-ui")
// The bundle (React and Swagger UI, no separate preset: the page uses the base layout), its styles,
// and the licence texts that go with redistributing them (Apache-2.0).
const files = ["swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "LICENSE", "NOTICE"]

mkdirSync(target, { recursive: true })
for (const file of files) {
  const content = readFileSync(join(dist, file))
  const to = join(target, file)
  if (!existsSync(to) || !readFileSync(to).equals(content)) writeFileSync(to, content)
}
