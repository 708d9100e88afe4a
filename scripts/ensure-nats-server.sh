#!/usr/bin/env bash
# Makes sure a nats-server binary is reachable: PATH first, then the OS package
# manager when we are root on a Debian-like system, else a clear way out.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[ates] nats-server not found: installing the Debian package (apt-get install -y nats-server, under a minute)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q nats-server >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q nats-server >/dev/null
  }
  if command -v nats-server >/dev/null 2>&1; then
    echo "[ates] installed $(nats-server --version)" >&2
    exit 0
  fi
fi

cat >&2 <<'MSG'
aTES needs the nats-server binary (2.9 or newer) and could not install it.
Install it one of these ways and run the command again:
  Debian/Ubuntu:  sudo apt-get install -y nats-server
  macOS:          brew install nats-server
  any system:     https://github.com/nats-io/nats-server/releases (put it on PATH)
MSG
exit 1
