package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// InitValues fill the template written by `sovra-worker init`.
type InitValues struct {
	ChainID  string
	GRPC     string
	RPC      string
	Provider string
	KeyName  string
	Backend  string
	// KeyringDir defaults to "keyring" (relative to home).
	KeyringDir string
	Models     map[string]string
	LibDir     string
	Threads    int
	// InferenceBackend is llama (default) or llama-server.
	InferenceBackend string
	LlamaServerURL   string
	APIGRPC          string
	APIHTTP          string
	// StreamListen is the public token stream's listen address; "" leaves it off.
	StreamListen string
}

// Render returns a commented worker.toml.
func (iv InitValues) Render() string {
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	var models strings.Builder
	ids := make([]string, 0, len(iv.Models))
	for id := range iv.Models {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&models, "%q = %q\n", id, iv.Models[id])
	}
	if len(ids) == 0 {
		models.WriteString("# demo-tiny = \"/path/to/demo-tiny.gguf\"\n")
	}
	threads := iv.Threads
	if threads < 1 {
		threads = 1
	}
	return fmt.Sprintf(`# sovra-worker configuration. Every key can be overridden by an environment variable
# SOVRA_WORKER_<KEY> (upper case) or by the flag --<key-with-dashes>.

# Chain id of the network.
chain_id = %q
# The node's gRPC server (host:port) and CometBFT RPC (tcp://host:port).
grpc_address = %q
rpc_address = %q

# The provider account this worker serves: its registration names this worker's address
# (sovrad tx provider register ... --worker <address printed by init>). The worker key
# signs that registration too (its consent to the binding), so its address needs an
# account on chain first: send it a few coins (it also pays its own transactions' fees).
provider_address = %q

# The worker key signs MsgCommitResult. Relative paths are relative to this file's folder.
worker_key = %q
keyring_backend = %q
keyring_dir = %q

# Inference backend: "llama" runs llama.cpp in process from the shared libraries in
# lib_dir (make llama-libs); "llama-server" sends each job to your own llama.cpp server at
# llama_server_url (scripts/build-llama-server.sh builds the baseline one). threads and
# context (tokens, 0 for the model's default) apply to the llama backend.
backend = %q
lib_dir = %q
llama_server_url = %q
threads = %d
context = 0
# A job whose inference fails (backend down, garbage answer) is tried this many times,
# then given up and counted in the metrics; nothing unverified is ever committed.
max_inference_attempts = 3

# The worker's own API: gRPC, and REST (/v1/status, /v1/jobs, /v1/jobs/{id}) with
# /healthz and Prometheus /metrics. "" disables one.
api_grpc_address = %q
api_http_address = %q

# The public token stream: GET /v1/jobs/{id}/stream streams a job's tokens while they are
# generated, each chunk sealed to the job's output key (only the submitter reads them), to
# anyone who asks (an OpenAI-compatible gateway shows them as they come). Its own
# listener, apart from the API above: it faces the public. Register its public URL as
# the provider's endpoint (sovrad tx provider update --endpoint https://host:port).
# "" disables it; jobs are then read from the chain once committed.
stream_listen = %q

# Where each job's salt, output hash, tokens and text are kept (fsync'd before commit).
data_dir = "data"
# How often the chain is asked for jobs assigned to the provider.
poll_interval = "500ms"

# Fees of commit transactions: gas is simulated and multiplied by gas_adjustment;
# gas_prices empty means no fee.
gas_prices = ""
gas_adjustment = 1.5
max_results_per_tx = 8

# Models served: id = path to its GGUF file. At start, each file's sha256 must equal the
# chain's registered sha256 for that id.
[models]
%s`, iv.ChainID, def(iv.GRPC, "127.0.0.1:9090"), def(iv.RPC, "tcp://127.0.0.1:26657"), iv.Provider,
		def(iv.KeyName, "worker"), def(iv.Backend, "test"), def(iv.KeyringDir, "keyring"),
		def(iv.InferenceBackend, "llama"), def(iv.LibDir, ".llama/lib/x64"), def(iv.LlamaServerURL, "http://127.0.0.1:8080"), threads,
		def(iv.APIGRPC, "127.0.0.1:7070"), def(iv.APIHTTP, "127.0.0.1:7071"), iv.StreamListen, models.String())
}

// WriteFile writes the rendered config to <home>/worker.toml, refusing to overwrite.
func (iv InitValues) WriteFile(home string) (string, error) {
	path := filepath.Join(home, FileName)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) {
			return "", fmt.Errorf("%s already exists; edit it or remove it first", path)
		}
		return "", err
	}
	if _, err := f.WriteString(iv.Render()); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
