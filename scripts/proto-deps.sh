#!/usr/bin/env bash
# Lays out .cache/proto-deps, the imported .proto files that buf.yaml's workspace names
# (the same set as scripts/protocgen.sh copies, from the module versions go.mod pins), for
# `buf lint proto` in make lint. It only writes when the directory is missing or was laid
# from other module versions, so it leaves a tree that protocgen.sh laid alone.
set -euo pipefail
cd "$(dirname "$0")/.."
deps="$(pwd)/.cache/proto-deps"
moddir() { go list -m -f '{{.Dir}}' "$1"; }
sdk=$(moddir github.com/cosmos/cosmos-sdk)
gogo=$(moddir github.com/cosmos/gogoproto)
cproto=$(moddir github.com/cosmos/cosmos-proto)
gw=$(moddir github.com/grpc-ecosystem/grpc-gateway)

# The module directories carry their versions (…/cosmos-sdk@v0.53.x): compare the files
# each expects against what is there.
want=(
  "$sdk/proto/cosmos/msg/v1/msg.proto:cosmos/msg/v1/msg.proto"
  "$sdk/proto/cosmos/base/v1beta1/coin.proto:cosmos/base/v1beta1/coin.proto"
  "$sdk/proto/cosmos/query/v1/query.proto:cosmos/query/v1/query.proto"
  "$sdk/proto/amino/amino.proto:amino/amino.proto"
  "$gogo/gogoproto/gogo.proto:gogoproto/gogo.proto"
  "$cproto/proto/cosmos_proto/cosmos.proto:cosmos_proto/cosmos.proto"
  "$gw/third_party/googleapis/google/api/annotations.proto:google/api/annotations.proto"
)
fresh=1
for pair in "${want[@]}"; do
  cmp -s "${pair%%:*}" "$deps/${pair#*:}" || { fresh=0; break; }
done
[ "$fresh" = 1 ] && exit 0

echo "laying out .cache/proto-deps"
tmp=$(mktemp -d "$(pwd)/.cache/proto-deps.XXXXXX")
mkdir -p "$tmp/cosmos" "$tmp/gogoproto" "$tmp/cosmos_proto" "$tmp/google/api"
cp -r "$sdk/proto/cosmos/msg" "$sdk/proto/cosmos/base" "$sdk/proto/cosmos/query" "$tmp/cosmos/"
cp -r "$sdk/proto/amino" "$tmp/"
cp "$gogo/gogoproto/gogo.proto" "$tmp/gogoproto/"
cp "$cproto/proto/cosmos_proto/cosmos.proto" "$tmp/cosmos_proto/"
cp "$gw"/third_party/googleapis/google/api/{annotations,http,httpbody}.proto "$tmp/google/api/"
chmod -R u+w "$tmp"
rm -rf "$deps" && mv "$tmp" "$deps"
