// Imports point one way: src/http -> src/layers -> src/services, and no module is part of a cycle.
// Run by `npm test` (madge builds the graph from the TypeScript sources).
import madge from "madge"

const graph = await madge("src", { fileExtensions: ["ts"], tsConfig: "tsconfig.json", detectiveOptions: { ts: { skipTypeImports: false } } })
const problems = []
for (const cycle of graph.circular()) problems.push(`import cycle: ${cycle.join(" -> ")}`)
const rank = (file) => (file.startsWith("services/") ? 0 : file.startsWith("layers/") ? 1 : file.startsWith("http/") ? 2 : undefined)
for (const [file, imports] of Object.entries(graph.obj())) {
  for (const imported of imports) {
    const [from, to] = [rank(file), rank(imported)]
    if (from !== undefined && to !== undefined && to > from) problems.push(`${file} imports ${imported}: imports point http -> layers -> services`)
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.log(`imports: ${Object.keys(graph.obj()).length} modules, no cycle, every import pointing http -> layers -> services`)
