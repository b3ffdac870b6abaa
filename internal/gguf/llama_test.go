package gguf

import (
	"path/filepath"
	"testing"

	"github.com/hybridgroup/yzma/pkg/llama"

	"github.com/sovra-network/sovra/internal/chattemplate"
	"github.com/sovra-network/sovra/testutil/llamaenv"
)

// TestLlamaCppReadsTheChatTemplate: llama.cpp (the libraries of make llama-libs; the test
// skips without them unless SOVRA_REQUIRE_LLAMA is set) loads the demo model, returns its
// ChatML template, and renders a chat with it as chattemplate renders "chatml".
func TestLlamaCppReadsTheChatTemplate(t *testing.T) {
	dir := llamaenv.LibDir(t)
	if err := llama.Load(dir); err != nil {
		t.Fatalf("load llama.cpp from %s: %v", dir, err)
	}
	llama.LogSet(llama.LogSilent())
	llama.BackendInit()
	if err := llama.GGMLBackendLoadAllFromPath(dir); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "demo-tiny.gguf")
	if _, err := WriteFile(path, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	mp := llama.ModelDefaultParams()
	mp.NGpuLayers = 0
	model, err := llama.ModelLoadFromFile(path, mp)
	if err != nil {
		t.Fatalf("llama.cpp cannot load the demo model: %v", err)
	}
	t.Cleanup(func() { _ = llama.ModelFree(model) })

	jinja := llama.ModelChatTemplate(model, "")
	if jinja != ChatMLTemplate {
		t.Fatalf("llama_model_chat_template = %q, want the ChatML template", jinja)
	}
	msgs := []chattemplate.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Once upon a time"}}
	chat := make([]llama.ChatMessage, len(msgs))
	for i, m := range msgs {
		chat[i] = llama.NewChatMessage(m.Role, m.Content)
	}
	buf := make([]byte, 1024)
	n := llama.ChatApplyTemplate(jinja, chat, true, buf)
	if n < 0 || int(n) > len(buf) {
		t.Fatalf("llama_chat_apply_template = %d", n)
	}
	name, ok := chattemplate.Detect(jinja)
	if !ok || name != "chatml" {
		t.Fatalf("Detect = %q, %v", name, ok)
	}
	want, err := chattemplate.Apply(name, msgs, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != want {
		t.Fatalf("llama.cpp renders %q, chattemplate %q", got, want)
	}
}
