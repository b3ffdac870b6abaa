#!/usr/bin/env bash
# Installs the official `openai` npm client (the version below) into DIR (default
# .cache/openai-client at the repository root) for the gateway's end-to-end tests, and
# prints its node_modules folder. Idempotent: nothing is fetched when it is installed.
# Needs node and npm (apt-get install nodejs npm).
#
#   bash scripts/openai-client.sh [--dir DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG=openai
PKG_VERSION=6.49.0 # the newest major that runs on Debian's node 20 (7.x wants node 22)
DIR="$ROOT/.cache/openai-client"

die() { echo "openai-client: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) [[ $# -ge 2 ]] || die "--dir needs a folder"; DIR="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done

installed_version() {
  node -e "console.log(require('$DIR/node_modules/$PKG/package.json').version)" 2>/dev/null || true
}

command -v node >/dev/null || die "node is needed (apt-get install nodejs)"
if [[ "$(installed_version)" != "$PKG_VERSION" ]]; then
  command -v npm >/dev/null || die "npm is needed (apt-get install npm)"
  mkdir -p "$DIR"
  (cd "$DIR" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    "$PKG@$PKG_VERSION" >/dev/null) || die "npm install $PKG@$PKG_VERSION failed"
  [[ "$(installed_version)" == "$PKG_VERSION" ]] || die "npm did not install $PKG@$PKG_VERSION"
fi
echo "$DIR/node_modules"
