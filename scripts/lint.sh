#!/usr/bin/env bash
# make lint: every check runs, and the script fails at the end if any of them failed.
#   gofmt, gofumpt   formatting (generated protobuf code and build/, node_modules/, .llama/ left out)
#   go vet
#   layout           the shipped binaries (./cmd/...) import nothing under testutil/
#   golangci-lint    .golangci.yml
#   buf lint         proto/, with the lint section of buf.yaml
# The tools are pinned in tools/go.mod and built into .cache/tools/bin by scripts/tools.sh;
# golangci-lint keeps its cache in .cache/golangci-lint, not in the home directory.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/.cache/tools/bin"
GO=${GO:-go}
export GOLANGCI_LINT_CACHE="$root/.cache/golangci-lint"

bash scripts/tools.sh gofumpt golangci-lint buf || exit 1

failed=()
step() { # step NAME COMMAND...: run one check, remember it if it fails
  local name=$1 start=$SECONDS; shift
  echo "== $name"
  "$@" || failed+=("$name")
  echo "   ($name: $((SECONDS - start))s)"
}

# The Go files of the tree: tracked, and new ones not ignored, less generated code.
mapfile -t gofiles < <(git ls-files --cached --others --exclude-standard -- '*.go' \
  ':!:*.pb.go' ':!:*.pb.gw.go' ':!:*.pulsar.go' ':!:build/**' ':!:node_modules/**' ':!:.llama/**' |
  while read -r f; do [ -f "$f" ] && echo "$f"; done)

listed() { # listed WHAT COMMAND...: fail if the command lists any file
  local what=$1 out; shift
  out=$("$@") || return 1
  [ -z "$out" ] && return 0
  echo "$what needed (run it with -w on these files):"; echo "$out"; return 1
}

layout() {
  local deps bad
  deps=$($GO list -deps ./cmd/...) || return 1
  bad=$(grep -E '^github\.com/sovra-network/sovra/testutil(/|$)' <<<"$deps")
  [ -z "$bad" ] && return 0
  echo "the binaries under cmd/ must not import test code; go list -deps ./cmd/... lists:"
  echo "$bad" | sed 's/^/  /'
  echo "find the importer: $GO list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/... | grep sovra/testutil"
  return 1
}

# gofmt as before: every tracked Go file, generated ones too.
mapfile -t tracked < <(git ls-files -- '*.go' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
step gofmt listed gofmt gofmt -l "${tracked[@]}"
step gofumpt listed gofumpt "$bin/gofumpt" -l "${gofiles[@]}"
step "go vet" $GO vet ./...
step layout layout
# Several runs on one machine (engineers, CI) would otherwise refuse each other: the
# tool takes a global lock unless told it may run in parallel.
step golangci-lint "$bin/golangci-lint" run --allow-parallel-runners ./...
step "buf lint" bash -c 'bash scripts/proto-deps.sh && "$0" lint proto' "$bin/buf"

if [ ${#failed[@]} -gt 0 ]; then
  echo "make lint failed: ${failed[*]}"
  exit 1
fi
echo "make lint: clean"
