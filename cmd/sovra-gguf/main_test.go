package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "models", "m.gguf")
	if err := run([]string{"--out", path, "--layers", "1", "--type", "f16"}); err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "GGUF") {
		t.Fatal("output is not a GGUF file")
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no out":       {"--dim", "64"},
		"bad heads":    {"--out", filepath.Join(dir, "a.gguf"), "--heads", "5"},
		"bad type":     {"--out", filepath.Join(dir, "b.gguf"), "--type", "q4"},
		"extra args":   {"--out", filepath.Join(dir, "c.gguf"), "oops"},
		"unknown flag": {"--out", filepath.Join(dir, "d.gguf"), "--bogus"},
	} {
		if err := run(args); err == nil {
			t.Errorf("%s: run accepted %v", name, args)
		}
	}
}
