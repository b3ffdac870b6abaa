package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
)

func writeModel(t *testing.T, name string, seed uint64) (string, string) {
	t.Helper()
	cfg := gguf.DefaultConfig()
	cfg.Seed = seed
	path := filepath.Join(t.TempDir(), name)
	sum, err := gguf.WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

func TestInspectModelRefusesWhatIsNotAModel(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.gguf")
	if err := os.WriteFile(text, []byte("hello, not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.gguf")
	if err := os.WriteFile(truncated, []byte("GGUF\x03\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.gguf"): "no such file",
		dir:                                "not a regular file",
		text:                               "is not a GGUF file",
		truncated:                          "unreadable GGUF header",
	} {
		if _, err := inspectModel(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("inspectModel(%s) = %v, want an error containing %q", filepath.Base(path), err, want)
		}
	}
}

func TestInspectModelReadsTheMetadata(t *testing.T) {
	path, sum := writeModel(t, "m.gguf", 7)
	m, err := inspectModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sha256 != sum || m.Arch != "llama" || m.TrainContext != 512 || m.Context != 512 || m.Tokenizer != "llama-spm" || m.ChatTemplate != "chatml" {
		t.Fatalf("got %+v, want sha256 %s, llama, context 512, llama-spm, chatml", m, sum)
	}
	// A file without a chat template, or with one llama.cpp does not recognise, has none.
	for _, jinja := range []string{"", "{{ messages }}"} {
		cfg := gguf.DefaultConfig()
		cfg.ChatTemplate = jinja
		path := filepath.Join(t.TempDir(), "raw.gguf")
		if _, err := gguf.WriteFile(path, cfg); err != nil {
			t.Fatal(err)
		}
		if m, err := inspectModel(path); err != nil || m.ChatTemplate != "" {
			t.Fatalf("chat template %q: got %q, %v; want none", jinja, m.ChatTemplate, err)
		}
	}
}

func TestModelID(t *testing.T) {
	for in, want := range map[string]string{
		"/m/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf": "qwen2.5-0.5b-instruct-q4_k_m",
		"my model (v2).gguf":                   "my-model--v2",
		"___.gguf":                             "model",
		strings.Repeat("a", 80) + ".gguf":      strings.Repeat("a", 64),
	} {
		if got := modelID(in); got != want {
			t.Errorf("modelID(%q) = %q, want %q", in, got, want)
		}
	}
}

// The demo config is config.yml plus the model; a file config.yml registers already
// keeps its id, and a name taken by another file gets a suffix.
func TestWriteDemoConfig(t *testing.T) {
	src := filepath.Join("..", "..", "config.yml")
	out := filepath.Join(t.TempDir(), "demo-config.yml")

	seven, sum := writeModel(t, "seven.gguf", 7)
	m, err := inspectModel(seven)
	if err != nil {
		t.Fatal(err)
	}
	id, err := writeDemoConfig(src, out, m)
	if err != nil || id != "seven" {
		t.Fatalf("writeDemoConfig = %q, %v; want seven", id, err)
	}
	cfg, err := localnet.LoadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	models := cfg.AppState()["provider"].(map[string]any)["models"].([]any)
	if len(models) != 2 {
		t.Fatalf("models %v, want demo-tiny and seven", models)
	}
	if got := models[1].(map[string]any); got["id"] != "seven" || got["sha256"] != sum || got["context_length"] != "512" || got["chat_template"] != "chatml" {
		t.Fatalf("added %v", got)
	}
	if cfg.ChainID() != "sovra-local-1" || len(cfg.Accounts) != 8 {
		t.Fatalf("the rest of config.yml is lost: chain %q, %d accounts", cfg.ChainID(), len(cfg.Accounts))
	}

	tiny, _ := writeModel(t, "tiny.gguf", gguf.DefaultConfig().Seed)
	if m, err = inspectModel(tiny); err != nil {
		t.Fatal(err)
	}
	if id, err = writeDemoConfig(src, out, m); err != nil || id != "demo-tiny" {
		t.Fatalf("the demo model itself: %q, %v; want demo-tiny", id, err)
	}

	other, sum := writeModel(t, "demo-tiny.gguf", 9)
	if m, err = inspectModel(other); err != nil {
		t.Fatal(err)
	}
	if id, err = writeDemoConfig(src, out, m); err != nil || id != "demo-tiny-"+sum[:8] {
		t.Fatalf("another file named demo-tiny: %q, %v", id, err)
	}
}

func TestPrintable(t *testing.T) {
	got := printable("ok \x01 \xff é\nnext\tline")
	want := "ok \\x01 \\xff é\n            next    line"
	if got != want {
		t.Fatalf("printable = %q, want %q", got, want)
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"model", "--out", "x"},
		{"model", "--model", "/nonexistent.gguf", "--out", filepath.Join(t.TempDir(), "c.yml")},
		{"run", "--providers", "4"},
		{"run", "--jobs", "0"},
		{"run", "--stream-providers", "4"},
		{"run", "--providers", "2", "--stream-providers", "3"},
		{"run", "--stream-providers", "-2"},
		{"run", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}
