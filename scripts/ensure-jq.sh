#!/usr/bin/env bash
# Makes sure jq is there for the README's curl session (scripts/readme.test.ts runs it):
# installs Debian's package when we are root and apt exists, else says how to get it.
set -euo pipefail

if command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "jq or curl not found: installing the Debian packages (apt-get install -y jq curl)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q jq curl >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q jq curl >/dev/null
  }
  command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 && exit 0
fi

cat >&2 <<'MSG'
The README's curl session needs jq and curl, and they could not be installed.
Install them and run the command again:
  Debian/Ubuntu:  sudo apt-get install -y jq curl
MSG
exit 1
