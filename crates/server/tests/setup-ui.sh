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
PYTHON=${CHAINTRAIL_PYTHON:-python3}

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-ui: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

wanted_version=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')
if [ -x "$VENV/bin/python" ]; then
  have_version=$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)
  if [ "$have_version" != "$wanted_version" ]; then
    echo "setup-ui: $VENV has Python ${have_version:-?}, $PYTHON is $wanted_version: making it again"
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
# (Debian's wrapper script prints a shell warning of its own on stderr.)
/usr/bin/chromium --version 2>/dev/null
