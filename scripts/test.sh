#!/usr/bin/env bash
# The test command (README): install matcast with its test tools, install Debian's chromium for
# the browser tests and node with npm for the Node checks where this user can (root with apt-get),
# install the Node checks' packages into tests/node/node_modules (ignored by git), then run the
# whole suite on every core. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet -e '.[test]'

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed and cannot be installed here: the browser tests will skip"
  fi
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's nodejs and npm for the Node checks (feed parser, WebVTT validator)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "node and npm are not installed and cannot be installed here: the Node checks will skip"
  fi
fi
if command -v npm >/dev/null 2>&1; then
  # The versions pinned in tests/node/package-lock.json, into the project folder only.
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi

# On every core, one test file per worker at a time (a file's module fixtures are built once).
python -m pytest -n "${MATCAST_TEST_WORKERS:-auto}" --dist loadfile "$@"
