#!/usr/bin/env bash
# Installs schemathesis (PyPI) into the project-local venv .tools/venv (ignored by git).
# Run by scripts/test before `cargo test`; the schemathesis test runs it too when needed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
VENV=.tools/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import schemathesis" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=3.30"
fi
"$VENV/bin/schemathesis" --version
