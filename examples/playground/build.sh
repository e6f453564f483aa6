#!/usr/bin/env bash
# Builds the nnc playground into a folder (default examples/playground/dist):
# nnc.wasm (this package for GOOS=js GOARCH=wasm), Go's wasm_exec.js, the
# page, the worker that runs the wasm (worker.js), and app.js bundled with CodeMirror 6 by esbuild. Needs Go, and
# Node.js with npm: the editor's packages are installed from
# package-lock.json (npm ci) when node_modules is missing.
#
#   examples/playground/build.sh [OUT]
#   go run ./examples/playground        # serves dist/ on 127.0.0.1:8080
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ ! -x "$here/node_modules/.bin/esbuild" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
fi
(cd "$here" && GOOS=js GOARCH=wasm go build -trimpath -o "$out/nnc.wasm" .)
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp "$here/web/index.html" "$here/web/style.css" "$here/web/worker.js" "$out/"
"$here/node_modules/.bin/esbuild" "$here/web/app.js" --bundle --minify --format=iife \
  --target=es2020 --log-level=warning --outfile="$out/app.js"
echo "playground built in $out"
