/**
 * The page served from another origin, as an app would deploy it: the same files as `public/`,
 * with a `config.json` of its own that points the page at the worker.
 */
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { Server } from "node:http"
import { extname, join, normalize, sep } from "node:path"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json"
}

export const serveStatic = (options: { readonly root: string; readonly port: number; readonly apiBase: string }): Promise<Server> => {
  const root = normalize(options.root)
  const config = JSON.stringify({ apiBase: options.apiBase })
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname
    if (path === "/config.json") {
      response.writeHead(200, { "content-type": types[".json"]! }).end(config)
      return
    }
    // A directory's index.html, as Workers static assets serve it (`/docs/`).
    const file = normalize(join(root, decodeURIComponent(path), path.endsWith("/") ? "index.html" : ""))
    if (!file.startsWith(root + sep)) {
      response.writeHead(404).end()
      return
    }
    readFile(file).then(
      (body) => response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body),
      () => response.writeHead(404).end()
    )
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port, "127.0.0.1", () => resolve(server))
  })
}
