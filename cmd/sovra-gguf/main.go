// Command sovra-gguf writes a small deterministic llama-architecture GGUF
// model (random weights from a fixed seed) for tests and demos, and prints
// its sha256 and size. The same flags always give the same file.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sovra-network/sovra/internal/chattemplate"
	"github.com/sovra-network/sovra/internal/gguf"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sovra-gguf:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg := gguf.DefaultConfig()
	fs := flag.NewFlagSet("sovra-gguf", flag.ContinueOnError)
	out := fs.String("out", "", "output GGUF path (required)")
	fs.IntVar(&cfg.Dim, "dim", cfg.Dim, "embedding length")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.Heads, "heads", cfg.Heads, "attention heads")
	fs.IntVar(&cfg.KVHeads, "kv-heads", cfg.KVHeads, "key/value heads (must divide heads)")
	fs.IntVar(&cfg.FFN, "ffn", cfg.FFN, "feed-forward hidden size")
	fs.IntVar(&cfg.Context, "context", cfg.Context, "context length")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "weight seed")
	fs.StringVar(&cfg.VocabFile, "vocab", "", "copy tokenizer.* metadata from this GGUF (default: built-in byte-fallback vocabulary)")
	fs.StringVar(&cfg.Type, "type", cfg.Type, "2-D weight type: f32, f16 or q8_0 (q8_0 needs dim and ffn multiples of 32; norms stay f32)")
	chat := fs.String("chat-template", "chatml", `tokenizer.chat_template: "chatml" writes the ChatML Jinja template, "" none (a --vocab file's stays), anything else is written as Jinja`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.ChatTemplate = *chat
	if *chat == "chatml" {
		cfg.ChatTemplate = gguf.ChatMLTemplate
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	sum, err := gguf.WriteFile(*out, cfg)
	if err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Printf("%s  %s\n", sum, *out)
	fmt.Printf("size %d bytes\n", st.Size())
	// The chat format the chain registers for the model (x/provider's chat_template):
	// the file's template as llama.cpp recognises it.
	switch name, ok := chattemplate.Detect(cfg.ChatTemplate); {
	case cfg.ChatTemplate == "":
		fmt.Println("chat_template none")
	case ok:
		fmt.Printf("chat_template %s\n", name)
	default:
		fmt.Println("chat_template written, but llama.cpp recognises no format in it: register the model without one")
	}
	return nil
}
