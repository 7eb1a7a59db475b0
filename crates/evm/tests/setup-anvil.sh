#!/bin/sh
# Install anvil (Foundry 1.7.1) from npm into the ignored project-local folder .tools/ if missing,
# and print the path of the binary. Exit code 3 when npm is not installed.
set -eu
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="$root/.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
if [ ! -x "$bin" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: cannot install anvil" >&2
    exit 3
  fi
  npm install --prefix "$root/.tools" @foundry-rs/anvil-linux-amd64@1.7.1 >&2
fi
echo "$bin"
