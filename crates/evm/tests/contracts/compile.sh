#!/bin/sh
# Recompile Fixtures.sol into Fixtures.json with solc-js from npm, installed into the ignored
# project-local folder .tools/ (works offline once installed).
set -eu
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
if [ ! -d "$root/.tools/node_modules/solc" ]; then
  npm install --prefix "$root/.tools" solc@0.8.35 >&2
fi
node "$(dirname "$0")/compile.js" "$root/.tools/node_modules/solc"
