#!/usr/bin/env bash
# Installs schemathesis (PyPI) into the project-local venv .tools/venv (ignored by git), at the
# exact versions of tests/schemathesis-requirements.txt (every package, transitive ones too), so
# that CI runs what was verified. An existing venv whose packages differ from the pins is brought
# to them; one made with another interpreter than the one asked for is made again.
# Run by scripts/test before `cargo test`; the schemathesis test runs it too.
#
# Why pinned: a fresh install on Python 3.11.7 got hypothesis 6.170.17, which crashes inside its
# own lambda-source parsing ("AST constructor recursion depth mismatch", a CPython 3.11.7 ast
# bug hit from schemathesis' worker threads) in 3 of 4 runs. The pins (schemathesis 4.32.5,
# hypothesis 6.130.12) passed `cargo test -p chaintrail-server --test schemathesis` repeatedly on
# Python 3.11.7 and 3.13.0. To change them: install the new versions into a fresh venv, run that
# test at least three times in a row, and write `pip freeze` into the requirements file.
#
# CHAINTRAIL_PYTHON chooses the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VENV=.tools/venv
PINS=crates/server/tests/schemathesis-requirements.txt

bash scripts/pinned-venv "$VENV" "$PINS"
"$VENV/bin/schemathesis" --version
