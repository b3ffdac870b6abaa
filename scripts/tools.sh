#!/usr/bin/env bash
# Builds the named tools pinned in tools/go.mod into .cache/tools/bin (the directory
# scripts/protocgen.sh uses), each only when it is missing or outdated: built by another
# Go toolchain, or from another module version than tools/go.mod pins. Nothing is written
# outside the work tree except Go's own module and build caches.
#
#   bash scripts/tools.sh gofumpt golangci-lint buf
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(pwd)/.cache/tools/bin"
mkdir -p "$bin"

# The binary name -> the package that tools/go.mod pins as a `tool`.
pkg_of() {
  case "$1" in
    buf) echo github.com/bufbuild/buf/cmd/buf ;;
    gofumpt) echo mvdan.cc/gofumpt ;;
    golangci-lint) echo github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
    *) echo "scripts/tools.sh: unknown tool $1" >&2; return 1 ;;
  esac
}

[ $# -gt 0 ] || { echo "usage: scripts/tools.sh TOOL..." >&2; exit 2; }
pkgs=()
for t in "$@"; do pkgs+=("$(pkg_of "$t")"); done

# One `go list` for all of them: "package module version" as tools/go.mod resolves it.
want=$(cd tools && ${GO:-go} list -f '{{.ImportPath}} {{.Module.Path}} {{.Module.Version}}' "${pkgs[@]}")
gover=$(${GO:-go} env GOVERSION)

for t in "$@"; do
  pkg=$(pkg_of "$t")
  read -r _ mod ver <<<"$(grep "^$pkg " <<<"$want")"
  # `go version -m` prints the toolchain, then "path <pkg>" and "mod <module> <version>".
  have=$( (${GO:-go} version -m "$bin/$t" 2>/dev/null || true) | awk -v g="$gover" '
    NR == 1 && $2 == g { ok = 1 }
    $1 == "path" { p = $2 }
    $1 == "mod" { m = $2 " " $3 }
    END { if (ok) print p " " m }')
  if [ "$have" = "$pkg $mod $ver" ]; then
    continue
  fi
  echo "building $t ($mod $ver)"
  (cd tools && ${GO:-go} build -o "$bin/$t" "$pkg")
done
