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
PYTHON=${CHAINTRAIL_PYTHON:-python3}

wanted_version=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')
if [ -x "$VENV/bin/python" ]; then
  have_version=$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)
  if [ "$have_version" != "$wanted_version" ]; then
    echo "setup-graphsense: $VENV has Python ${have_version:-?}, $PYTHON is $wanted_version: making it again"
    rm -rf "$VENV"
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi

# Every pin must be installed exactly (pip freeze spells names as the requirements file does).
installed=$("$VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-')
missing=0
while IFS= read -r pin; do
  [ -z "$pin" ] && continue
  case "$pin" in \#*) continue ;; esac
  normal=$(printf '%s' "$pin" | tr 'A-Z_' 'a-z-')
  if ! grep -qxF "$normal" <<<"$installed"; then
    missing=1
    break
  fi
done <"$PINS"
if [ "$missing" = 1 ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PINS"
fi
"$VENV/bin/python" -c 'import gs_clustering; print("gs_clustering", gs_clustering.version())'
