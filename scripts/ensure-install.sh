#!/usr/bin/env bash
# Installs the npm packages when node_modules does not hold what package-lock.json pins.
# The stamp records the lockfile's hash, not a time: a checkout that touches the files
# without changing them reinstalls nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
