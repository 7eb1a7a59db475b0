#!/usr/bin/env bash
# Installs what the browser test of the web UI (tests/ui.rs) needs, idempotently:
# - Debian's `chromium` (apt), only when /usr/bin/chromium is missing. Playwright's own browser
#   download cannot work here (no network but package registries), so the test drives this one.
# - PyPI `playwright` into the project-local venv .tools/venv-ui (ignored by git) at the exact
#   versions of tests/ui-requirements.txt; an existing venv whose packages differ from the pins
#   is brought to them, one made with another interpreter is made again.
# Run by scripts/test before `cargo test`; the UI test runs it too.
#
# CHAINTRAIL_PYTHON chooses the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VENV=.tools/venv-ui
PINS=crates/server/tests/ui-requirements.txt

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-ui: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

bash scripts/pinned-venv "$VENV" "$PINS"
# (Debian's wrapper script prints a shell warning of its own on stderr.)
/usr/bin/chromium --version 2>/dev/null
