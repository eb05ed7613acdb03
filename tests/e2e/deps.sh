#!/usr/bin/env bash
# What the e2e tests need beyond the virtualenv: Debian's Chromium (Playwright drives it; its own
# browser download does not work on these machines) and the Node packages of the JavaScript
# clients and the accessibility check. `make test` runs this before any test starts.
# CHROMIUM (default /usr/bin/chromium) names the browser to look for.
set -euo pipefail
cd "$(dirname "$0")"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "make test needs Chromium at $chromium: run 'sudo apt-get install -y chromium', then make test again" >&2
    exit 1
  fi
  echo "installing Debian's chromium (apt-get) for the browser tests"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  if [ ! -x "$chromium" ]; then
    echo "apt-get installed chromium but $chromium is still missing" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "make test needs Node.js and npm for the JavaScript clients: run 'sudo apt-get install -y nodejs npm', then make test again" >&2
  exit 1
fi
for dir in js axe; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done
