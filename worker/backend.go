package worker

import (
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
)

// DefaultBackend opens the backend the config names for one model.
func DefaultBackend(cfg *config.Config, _ string, path string) (inference.Backend, error) {
	return inference.NewLlama(inference.LlamaConfig{LibDir: cfg.LibDir, ModelPath: path, Threads: cfg.Threads, Context: cfg.Context})
}
