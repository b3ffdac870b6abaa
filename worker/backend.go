package worker

import (
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
)

// DefaultBackend opens the backend the config names for one model: llama.cpp in process, or
// the operator's llama-server, which must have loaded the same model file.
func DefaultBackend(cfg *config.Config, _ string, path string) (inference.Backend, error) {
	if cfg.Backend == config.BackendLlamaServer {
		return inference.NewLlamaServer(inference.LlamaServerConfig{URL: cfg.LlamaServerURL, ModelPath: path, Context: cfg.Context})
	}
	return inference.NewLlama(inference.LlamaConfig{LibDir: cfg.LibDir, ModelPath: path, Threads: cfg.Threads, Context: cfg.Context})
}
