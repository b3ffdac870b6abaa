#!/usr/bin/env bash
# Regenerates the Go code of proto/ offline: the plugins come from tools/go.mod and every
# imported .proto from the Go module cache, so no schema registry is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/.cache/tools/bin"
deps="$root/.cache/proto-deps"
mkdir -p "$bin"
(cd tools && GOBIN="$bin" go install tool)

# Imported protos, copied from the exact module versions that go.mod pins.
rm -rf "$deps" && mkdir -p "$deps"
moddir() { go list -m -f '{{.Dir}}' "$1"; }
sdk=$(moddir github.com/cosmos/cosmos-sdk)
gogo=$(moddir github.com/cosmos/gogoproto)
cproto=$(moddir github.com/cosmos/cosmos-proto)
gw=$(moddir github.com/grpc-ecosystem/grpc-gateway)
mkdir -p "$deps/cosmos" "$deps/gogoproto" "$deps/cosmos_proto" "$deps/google/api"
cp -r "$sdk/proto/cosmos/msg" "$sdk/proto/cosmos/base" "$sdk/proto/cosmos/query" "$deps/cosmos/"
cp -r "$sdk/proto/amino" "$deps/"
cp "$gogo/gogoproto/gogo.proto" "$deps/gogoproto/"
cp "$cproto/proto/cosmos_proto/cosmos.proto" "$deps/cosmos_proto/"
cp "$gw"/third_party/googleapis/google/api/{annotations,http,httpbody}.proto "$deps/google/api/"
chmod -R u+w "$deps"

out="$root/.cache/proto-out"
rm -rf "$out" && mkdir -p "$out"
cat > "$root/.cache/buf.gen.yaml" <<YAML
version: v2
plugins:
  - local: $bin/protoc-gen-gocosmos
    out: .cache/proto-out
    opt: plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any
  - local: $bin/protoc-gen-grpc-gateway
    out: .cache/proto-out
    opt: logtostderr=true,allow_colon_final_segments=true
YAML
"$bin/buf" generate --template .cache/buf.gen.yaml --path proto/sovra
cp -r "$out/github.com/sovra-network/sovra/"* "$root/"
echo "generated: $(cd "$out" && find . -name '*.go' | wc -l) files"
