#!/usr/bin/env bash
# Installs the npm packages when node_modules does not hold what package-lock.json pins.
# The stamp records the lockfile's hash, not a time: a checkout that touches the files
# without changing them reinstalls nothing. Says what it does on stderr: the first install
# takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ -d node_modules ]; then
  echo "[ates] package-lock.json changed: installing npm dependencies (npm ci, about a minute)…" >&2
else
  echo "[ates] installing npm dependencies (first run: npm ci, about a minute)…" >&2
fi
started=$SECONDS
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "[ates] npm dependencies installed in $((SECONDS - started)) s" >&2
