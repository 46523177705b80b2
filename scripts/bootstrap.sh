#!/usr/bin/env bash
# Installs what a fresh machine lacks, then returns quickly on every later run:
# Debian packages for the local stack, and node_modules from package-lock.json.
# Kafka and Apicurio Registry come from Maven Central on first `stack:up`.
# --with-chromium also installs Debian's Chromium: the tests open the HTML
# reports in it (CHROMIUM_PATH points elsewhere if it lives elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v redis-server >/dev/null || need+=(redis-server)
# the local Redis Cluster is made and checked with redis-cli
command -v redis-cli >/dev/null || need+=(redis-tools)
# the hostile-input tests produce as an outside producer would
command -v kcat >/dev/null || need+=(kcat)
command -v mvn >/dev/null || need+=(maven)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
# the test command validates docker-compose.yml with the Compose tool itself (no engine needed)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ "${1:-}" = "--with-chromium" ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  need+=(chromium)
fi
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "bootstrap: missing ${need[*]}: install them with apt-get (needs root)" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "bootstrap: installing ${need[*]} (apt-get)" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.bootstrap-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$hash" > "$stamp"
fi
