#!/usr/bin/env bash
# The library as a team takes it: packed (`npm pack`, which builds dist/), installed into
# examples/consumer (a Workers project of its own), whose typecheck, tests (node and workerd) and
# dry-run deploy then run against the package alone; then its tests once more on the current
# Node.js LTS (a Node binary from the npm registry).
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

# The tarball, and what it holds.
npm pack --json --silent > .pack.json
node -e '
  const [pack] = JSON.parse(require("fs").readFileSync(".pack.json", "utf8"))
  const kB = (n) => (n / 1000).toFixed(1) + " kB"
  console.log(`package: ${pack.filename}: ${kB(pack.size)} packed, ${kB(pack.unpackedSize)} unpacked, ${pack.entryCount} files`)
  const stray = pack.files.map((f) => f.path).filter((p) => !/^(dist\/|migrations\/0\d{3}_[a-z_]+\.sql$|package\.json$|README\.md$)/.test(p))
  if (stray.length > 0) { console.error("the package holds files it should not:", stray); process.exit(1) }
'
mv "$(node -p 'JSON.parse(require("fs").readFileSync(".pack.json", "utf8"))[0].filename')" edge-auth-state.tgz
rm .pack.json

cd examples/consumer
# The lockfile pins everything but the library, whose tarball is rebuilt on every run: the
# integrity npm recorded for it would never match again.
node -e '
  const fs = require("fs")
  const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"))
  delete lock.packages["node_modules/edge-auth-state"].integrity
  fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n")
'
started=$(date +%s)
npm ci --no-audit --no-fund
echo "consumer: installed in $(( $(date +%s) - started )) s"
npm test
npm run build

# The current Node.js LTS.
lts="26"
arch=$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')
node_dir=$(mktemp -d)
npm install --prefix "$node_dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@$lts" > /dev/null
export PATH="$node_dir/node_modules/node-linux-$arch/bin:$PATH"
echo "consumer: tests on Node.js $(node --version)"
npm test
rm -rf "$node_dir"
