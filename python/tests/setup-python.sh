#!/usr/bin/env bash
# Makes the project-local venv .tools/venv-py (ignored by git) hold the pins of
# python/tests/requirements.txt (maturin, pytest, pyarrow, pandas, matplotlib and what they pull
# in), then builds the chaintrail package into it with `maturin develop` and builds the CLI the
# tests compare it with. Run by scripts/test before the pytest run.
#
# maturin builds into the repository's target dir (dev profile), where the CLI's build already
# compiled most dependencies. To change the pins: install the new versions into a fresh venv,
# run `python -m pytest python/tests` and write `pip freeze` into the requirements file.
#
# CHAINTRAIL_PYTHON chooses the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.tools/venv-py
PINS=python/tests/requirements.txt

bash scripts/pinned-venv "$VENV" "$PINS"
cargo build --quiet -p chaintrail
(
  cd python
  CARGO_TARGET_DIR="$PWD/../target" VIRTUAL_ENV="$PWD/../$VENV" \
    "../$VENV/bin/maturin" develop --quiet
)
"$VENV/bin/python" -c 'import chaintrail; print("chaintrail", chaintrail.__version__, "in", chaintrail.__file__)'
