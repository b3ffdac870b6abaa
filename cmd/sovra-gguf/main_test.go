package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovra-network/sovra/internal/gguf"
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

func TestRunWritesQ8_0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q8.gguf")
	if err := run([]string{"--out", path, "--type", "q8_0"}); err != nil {
		t.Fatalf("run: %v", err)
	}
	f, err := gguf.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if ti, _ := f.Tensor("blk.0.attn_q.weight"); ti.Type != gguf.GGMLTypeQ8_0 {
		t.Fatalf("attn_q type %s, want q8_0", ti.Type)
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no out":       {"--dim", "64"},
		"bad heads":    {"--out", filepath.Join(dir, "a.gguf"), "--heads", "5"},
		"bad type":     {"--out", filepath.Join(dir, "b.gguf"), "--type", "q4"},
		"q8_0 dim 48":  {"--out", filepath.Join(dir, "e.gguf"), "--type", "q8_0", "--dim", "48"},
		"extra args":   {"--out", filepath.Join(dir, "c.gguf"), "oops"},
		"unknown flag": {"--out", filepath.Join(dir, "d.gguf"), "--bogus"},
	} {
		if err := run(args); err == nil {
			t.Errorf("%s: run accepted %v", name, args)
		}
	}
}

func TestRunChatTemplate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		flag []string
		want string // tokenizer.chat_template, "" for none
	}{
		{nil, gguf.ChatMLTemplate},
		{[]string{"--chat-template", "chatml"}, gguf.ChatMLTemplate},
		{[]string{"--chat-template", ""}, ""},
		{[]string{"--chat-template", "{{ messages }}"}, "{{ messages }}"},
	} {
		path := filepath.Join(dir, "m.gguf")
		if err := run(append([]string{"--out", path}, c.flag...)); err != nil {
			t.Fatalf("run %v: %v", c.flag, err)
		}
		f, err := gguf.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := f.Get(gguf.ChatTemplateKey)
		if c.want == "" {
			if ok {
				t.Errorf("%v: chat template %q written", c.flag, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%v: chat template %q, want %q", c.flag, got, c.want)
		}
	}
}
