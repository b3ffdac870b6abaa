package localnet

import (
	"path/filepath"
	"testing"

	"github.com/sovra-network/sovra/internal/gguf"
)

// TestConfigRegistersTheDemoModel: config.yml's demo-tiny sha256 is the file that
// `make demo-model` writes, so a worker serving that file passes its sha256 check.
func TestConfigRegistersTheDemoModel(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	provider, _ := cfg.AppState()["provider"].(map[string]any)
	models, _ := provider["models"].([]any)
	var registered string
	for _, m := range models {
		if mm, _ := m.(map[string]any); mm["id"] == "demo-tiny" {
			registered, _ = mm["sha256"].(string)
		}
	}
	written, err := gguf.WriteFile(filepath.Join(t.TempDir(), "demo-tiny.gguf"), gguf.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if registered != written {
		t.Fatalf("config.yml registers demo-tiny with sha256 %q, make demo-model writes %s", registered, written)
	}
}
