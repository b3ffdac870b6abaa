#!/usr/bin/env bash
# Regenerates the Go code of proto/ offline: the plugins come from tools/go.mod and every
# imported .proto from the Go module cache, so no schema registry is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/.cache/tools/bin"
deps="$root/.cache/proto-deps"
mkdir -p "$bin"
# Each plugin is built under its own name: the grpc-gateway v1 (chain, gogoproto) and v2
# (worker API, google.golang.org/protobuf) plugins share a command name.
(cd tools &&
  go build -o "$bin/buf" github.com/bufbuild/buf/cmd/buf &&
  go build -o "$bin/protoc-gen-gocosmos" github.com/cosmos/gogoproto/protoc-gen-gocosmos &&
  go build -o "$bin/protoc-gen-grpc-gateway" github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway &&
  go build -o "$bin/protoc-gen-grpc-gateway-v2" github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway &&
  go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &&
  go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc)

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
"$bin/buf" generate --template .cache/buf.gen.yaml --path proto/sovra --exclude-path proto/sovra/worker

# The worker's own API is plain google.golang.org/protobuf + gRPC + grpc-gateway v2: it is
# not part of the chain's gogoproto registry and serves REST through the v2 runtime.
cat > "$root/.cache/buf.gen.worker.yaml" <<YAML
version: v2
plugins:
  - local: $bin/protoc-gen-go
    out: .cache/proto-out
  - local: $bin/protoc-gen-go-grpc
    out: .cache/proto-out
  - local: $bin/protoc-gen-grpc-gateway-v2
    out: .cache/proto-out
YAML
"$bin/buf" generate --template .cache/buf.gen.worker.yaml --path proto/sovra/worker
cp -r "$out/github.com/sovra-network/sovra/"* "$root/"
echo "generated: $(cd "$out" && find . -name '*.go' | wc -l) files"
