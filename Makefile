# Sovra — run `make help` for the targets.
BUILD_DIR ?= $(CURDIR)/build
GO ?= go
LDFLAGS := -s -w
export GOFLAGS := -buildvcs=false

.DEFAULT_GOAL := help

## help: list the targets
help:
	@awk '/^## / { line = substr($$0, 4); i = index(line, ": "); printf "  %-14s %s\n", substr(line, 1, i - 1), substr(line, i + 2) }' $(MAKEFILE_LIST)

## build: build sovrad into build/
build:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/sovrad ./cmd/sovrad

## build-testupgrade: build build/sovrad-testupgrade, the test upgrade's binary (-tags sovra_testupgrade: applies the upgrade v2-test, x/rewards at version 2)
build-testupgrade:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -tags sovra_testupgrade -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/sovrad-testupgrade ./cmd/sovrad

## install: install sovrad into GOBIN
install:
	$(GO) install -ldflags '$(LDFLAGS)' ./cmd/sovrad

## test: unit, app-level and end-to-end tests, the upgrade tests with the test upgrade's build tag, and test-race (builds sovrad, sovrad-testupgrade and llama-server, installs the llama.cpp libraries: x64, and haswell for the cross-variant audits, and the openai npm client)
test: build build-testupgrade llama-libs llama-libs-haswell llama-server openai-client test-race
	SOVRAD_BIN=$(BUILD_DIR)/sovrad SOVRAD_TESTUPGRADE_BIN=$(BUILD_DIR)/sovrad-testupgrade SOVRA_REQUIRE_LLAMA=1 \
	SOVRA_LLAMA_SERVER=$(LLAMA_SERVER_BIN) SOVRA_REQUIRE_LLAMA_SERVER=1 SOVRA_REQUIRE_OPENAI_CLIENT=1 \
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags sovra_testupgrade -run 'Upgrade|Migrate' ./app/ ./x/rewards/...

## test-race: the fast, concurrent packages under the race detector (tx client, processes, worker loop on fakes, health, store, chain client, stream hub, protocol types)
RACE_PKGS = ./txclient/... ./internal/proc/... ./internal/typedevent/... ./worker/health/... ./worker/store/... \
	./worker/config/... ./worker/chain/... ./x/task/types/... ./x/verify/types/... ./x/provider/types/... \
	./x/rewards/types/... ./x/beacon/types/... ./x/provider/weighttree/... ./worker/stream/...
.PHONY: test-race
test-race:
	$(GO) test -race -count=1 -short $(RACE_PKGS)
	$(GO) test -race -count=1 -short -run 'Unit|Fake' ./worker

## test-unit: unit and app-level tests only (no processes)
test-unit:
	$(GO) test -count=1 -short ./...

## sim: the app simulation (testutil/simulation): SIM_BLOCKS (500) random blocks of every module's messages, invariants after each block, run twice from SIM_SEED (1) to check every height's app hash; prints the seed, blocks/s and what ran
SIM_BLOCKS ?= 500
SIM_SEED ?= 1
.PHONY: sim
sim:
	SIM_BLOCKS=$(SIM_BLOCKS) SIM_SEED=$(SIM_SEED) $(GO) test -count=1 -timeout 60m -v -run 'TestAppSimulationDeterminism$$' ./testutil/simulation

## bench: tx throughput on a localnet, and keeper benchmarks
bench: build
	bash scripts/bench.sh

## localnet: start a local network from config.yml (VALIDATORS=N, LOCALNET_HOME=dir)
localnet: build
	bash scripts/localnet.sh start $(if $(VALIDATORS),--validators $(VALIDATORS)) $(if $(LOCALNET_HOME),--home $(LOCALNET_HOME))

## localnet-stop: stop the local network
localnet-stop:
	bash scripts/localnet.sh stop $(if $(LOCALNET_HOME),--home $(LOCALNET_HOME))

## proto-gen: regenerate Go code from proto/ (offline)
proto-gen:
	bash scripts/protocgen.sh

## proto-check: fail if regenerating proto code changes the tree
proto-check: proto-gen
	@git diff --exit-code -- '*.pb.go' '*.pb.gw.go' || (echo "generated code is stale: run make proto-gen" && exit 1)

## llama-libs: install the llama.cpp v0.5.0 libraries for the worker (VARIANT=x64, LLAMA_DIR=.llama)
.PHONY: llama-libs
llama-libs:
	bash scripts/llama-libs.sh $(if $(VARIANT),--variant $(VARIANT)) $(if $(LLAMA_DIR),--dir $(LLAMA_DIR))

## llama-libs-haswell: also install the haswell (AVX2) kernel variant, which the cross-variant audit tests verify against x64 (LLAMA_DIR=.llama)
.PHONY: llama-libs-haswell
llama-libs-haswell:
	bash scripts/llama-libs.sh --variant haswell $(if $(LLAMA_DIR),--dir $(LLAMA_DIR)) >/dev/null

## llama-server: build llama.cpp's llama-server (x64 baseline kernels) into .llama/server/bin, ~6 min once (LLAMA_DIR=.llama)
.PHONY: llama-server
LLAMA_SERVER_BIN = $(abspath $(or $(LLAMA_DIR),.llama))/server/bin/llama-server
llama-server:
	bash scripts/build-llama-server.sh $(if $(LLAMA_DIR),--dir $(LLAMA_DIR))

## openai-client: install the official openai npm client into .cache/openai-client (the gateway's end-to-end test drives it)
.PHONY: openai-client
openai-client:
	bash scripts/openai-client.sh >/dev/null

## lint: gofmt, gofumpt, go vet, cmd/ imports no testutil/, golangci-lint (.golangci.yml), buf lint proto/
lint:
	GO=$(GO) bash scripts/lint.sh

## lint-tools: build gofumpt, golangci-lint and buf (pinned in tools/go.mod) into .cache/tools/bin, when missing or outdated
lint-tools:
	bash scripts/tools.sh gofumpt golangci-lint buf

.PHONY: help build build-testupgrade install test test-unit bench localnet localnet-stop proto-gen proto-check lint lint-tools demo

## demo: the README's first command: a localnet, 3 providers and workers, jobs bought, settled, paid (MODEL=x.gguf, VALIDATORS=N)
demo:
	bash scripts/demo.sh

## demo-burst: a busy user on the running demo network: 300 jobs within 30 s, followed until final (JOBS=N, WITHIN=30s)
.PHONY: demo-burst
demo-burst:
	$(BUILD_DIR)/sovra-demo burst --home $(BUILD_DIR)/demo --jobs $(or $(JOBS),300) --within $(or $(WITHIN),30s)

## demo-model: write the deterministic demo model to build/models/demo-tiny.gguf
.PHONY: demo-model
demo-model:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/sovra-gguf ./cmd/sovra-gguf
	$(BUILD_DIR)/sovra-gguf --out $(BUILD_DIR)/models/demo-tiny.gguf
