#!/usr/bin/env bash
# Installs graphsense-clustering (PyPI; module gs_clustering, GraphSense's own multi-input
# clustering, a parallel union-find in Rust) into the project-local venv .tools/venv-graphsense
# (ignored by git), at the exact versions of tests/graphsense-requirements.txt (every package,
# transitive ones too). An existing venv whose packages differ from the pins is brought to them;
# one made with another interpreter than the one asked for is made again.
# Run by scripts/test before `cargo test`; the graphsense test and scripts/bench_cluster.sh run
# it too.
#
# To change the pins: install the new versions into a fresh venv, run
# `cargo test -p chaintrail-cluster --test graphsense`, and write `pip freeze` into the file.
#
# CHAINTRAIL_PYTHON chooses the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VENV=.tools/venv-graphsense
PINS=crates/cluster/tests/graphsense-requirements.txt

bash scripts/pinned-venv "$VENV" "$PINS"
"$VENV/bin/python" -c 'import gs_clustering; print("gs_clustering", gs_clustering.version())'
