#!/usr/bin/env bash
# Makes sure a Chromium for the browser tests is at /usr/bin/chromium (or $ATES_CHROMIUM):
# installs Debian's package when we are root and apt exists, else says how to get one.
set -euo pipefail

browser="${ATES_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing the Debian package (apt-get install -y chromium)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q chromium >/dev/null
  }
  [ -x "$browser" ] && exit 0
fi

cat >&2 <<'MSG'
The browser tests need Chromium and could not install it.
Install it and run the command again, or point ATES_CHROMIUM at a Chromium binary:
  Debian/Ubuntu:  sudo apt-get install -y chromium
MSG
exit 1
