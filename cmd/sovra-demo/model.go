package main

// `MODEL=path make demo`: the file is checked before anything starts, then registered in
// the demo network's genesis. x/provider's MsgRegisterModel is the governance
// authority's, so a fresh demo network gets the model the way config.yml's demo-tiny
// gets there: in genesis.app_state.provider.models. config.yml itself is left alone;
// the demo network is built from a copy with the model added.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/viper"

	"github.com/sovra-network/sovra/internal/chattemplate"
	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/inference"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
)

// modelInfo is what the demo needs to know about a GGUF file.
type modelInfo struct {
	Path         string
	Name         string // general.name, when present
	Arch         string // general.architecture
	Size         int64
	Sha256       string
	TrainContext uint64 // <arch>.context_length
	// Context is what the chain registers and the workers run with: the trained
	// context, capped at the worker's default context (inference.DefaultContext), so a
	// 128k-token model does not make three workers allocate 128k-token KV caches.
	Context   uint64
	Tokenizer string
	// ChatTemplate is the chat format llama.cpp recognises in the file's
	// tokenizer.chat_template (chattemplate.Detect), registered with the model; empty
	// when the file has none or llama.cpp knows no format in it.
	ChatTemplate string
}

// inspectModel checks that path is a GGUF model a worker can serve, with errors that
// say what is wrong in terms of the file.
func inspectModel(path string) (modelInfo, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return modelInfo{}, fmt.Errorf("model %s: no such file", path)
	case err != nil:
		return modelInfo{}, fmt.Errorf("model %s: %w", path, err)
	case !st.Mode().IsRegular():
		return modelInfo{}, fmt.Errorf("model %s is not a regular file", path)
	}
	if err := checkMagic(path); err != nil {
		return modelInfo{}, err
	}
	g, err := gguf.Read(path)
	if err != nil {
		return modelInfo{}, fmt.Errorf("model %s: unreadable GGUF header: %w", path, err)
	}
	m := modelInfo{Path: path, Size: st.Size()}
	m.Arch, _ = metaString(g, "general.architecture")
	if m.Arch == "" {
		return modelInfo{}, fmt.Errorf("model %s: the GGUF metadata has no general.architecture: not a language model", path)
	}
	if len(g.Tensors) == 0 {
		return modelInfo{}, fmt.Errorf("model %s: the GGUF file holds no tensors", path)
	}
	key := m.Arch + ".context_length"
	if m.TrainContext, err = metaUint(g, key); err != nil {
		return modelInfo{}, fmt.Errorf("model %s: %w", path, err)
	}
	m.Context = min(m.TrainContext, uint64(inference.DefaultContext))
	m.Name, _ = metaString(g, "general.name")
	m.Tokenizer, _ = metaString(g, "tokenizer.ggml.model")
	if m.Tokenizer == "llama" {
		m.Tokenizer = "llama-spm" // as config.yml names demo-tiny's
	}
	if len(m.Tokenizer) > providertypes.MaxTokenizerLen {
		m.Tokenizer = m.Tokenizer[:providertypes.MaxTokenizerLen]
	}
	if jinja, ok := metaString(g, gguf.ChatTemplateKey); ok {
		m.ChatTemplate, _ = chattemplate.Detect(jinja)
	}
	if m.Sha256, err = worker.FileSHA256(path); err != nil {
		return modelInfo{}, err
	}
	return m, nil
}

func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("model %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(gguf.Magic)) {
		return fmt.Errorf("model %s is not a GGUF file (it does not start with the bytes %q)", path, gguf.Magic)
	}
	return nil
}

func metaString(g *gguf.File, key string) (string, bool) {
	v, ok := g.Get(key)
	s, isString := v.(string)
	return s, ok && isString
}

func metaUint(g *gguf.File, key string) (uint64, error) {
	v, ok := g.Get(key)
	if !ok {
		return 0, fmt.Errorf("the GGUF metadata has no %s", key)
	}
	var n uint64
	switch x := v.(type) {
	case uint8:
		n = uint64(x)
	case uint16:
		n = uint64(x)
	case uint32:
		n = uint64(x)
	case uint64:
		n = x
	case int8, int16, int32, int64:
		i, _ := strconv.ParseInt(fmt.Sprint(x), 10, 64)
		if i > 0 {
			n = uint64(i)
		}
	default:
		return 0, fmt.Errorf("%s is a %T, not an integer", key, v)
	}
	if n == 0 {
		return 0, fmt.Errorf("%s is 0", key)
	}
	return n, nil
}

// modelID derives a model id ([a-z0-9._-], at most 64 characters) from a file name:
// Qwen2.5-0.5B-Instruct-Q4_K_M.gguf -> qwen2.5-0.5b-instruct-q4_k_m.
func modelID(path string) string {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	id := []byte(base)
	for i, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			id[i] = '-'
		}
	}
	s := strings.Trim(string(id), "-._")
	if len(s) > providertypes.MaxModelIDLen {
		s = strings.Trim(s[:providertypes.MaxModelIDLen], "-._")
	}
	if s == "" {
		s = "model"
	}
	return s
}

// addModel registers m in the genesis of a config.yml's settings (viper's AllSettings)
// and returns its id. A model already there with the same sha256 keeps its id and
// nothing is added; an id taken by another file gets the sha256's first 8 digits.
func addModel(settings map[string]any, m modelInfo) (string, error) {
	provider, err := subMap(settings, "genesis", "app_state", "provider")
	if err != nil {
		return "", err
	}
	existing, _ := provider["models"].([]any)
	id := modelID(m.Path)
	for _, e := range existing {
		em, _ := e.(map[string]any)
		if strings.EqualFold(fmt.Sprint(em["sha256"]), m.Sha256) {
			return fmt.Sprint(em["id"]), nil
		}
		if em["id"] == id {
			id = strings.Trim(id[:min(len(id), providertypes.MaxModelIDLen-9)], "-._") + "-" + m.Sha256[:8]
		}
	}
	if err := providertypes.ValidateModelID(id); err != nil {
		return "", err
	}
	entry := map[string]any{
		"id":             id,
		"sha256":         m.Sha256,
		"context_length": strconv.FormatUint(m.Context, 10),
	}
	if m.Tokenizer != "" {
		entry["tokenizer"] = m.Tokenizer
	}
	if m.ChatTemplate != "" {
		entry["chat_template"] = m.ChatTemplate
	}
	provider["models"] = append(existing, entry)
	return id, nil
}

// subMap walks (creating as needed) nested maps.
func subMap(m map[string]any, keys ...string) (map[string]any, error) {
	for _, k := range keys {
		next, ok := m[k]
		if !ok || next == nil {
			next = map[string]any{}
			m[k] = next
		}
		nm, ok := next.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is a %T, not a map", k, next)
		}
		m = nm
	}
	return m, nil
}

// writeDemoConfig writes the config.yml at src with m added to out (JSON, which is
// YAML) and checks that localnet reads it.
func writeDemoConfig(src, out string, m modelInfo) (string, error) {
	v := viper.New()
	v.SetConfigFile(src)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	settings := v.AllSettings() // keys lower-cased; config.yml's are all lower case
	id, err := addModel(settings, m)
	if err != nil {
		return "", fmt.Errorf("%s: %w", src, err)
	}
	raw, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return "", err
	}
	header := fmt.Sprintf("# Written by sovra-demo (make demo): %s plus the model %s (%s) in the genesis.\n", src, id, m.Path)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(out, append([]byte(header), append(raw, '\n')...), 0o644); err != nil {
		return "", err
	}
	if _, err := localnet.LoadConfig(out); err != nil {
		return "", err
	}
	return id, nil
}

// modelStep is `sovra-demo model`: the id goes to stdout for scripts/demo.sh, the rest
// to stderr.
func modelStep(path, config, out string, stdout, stderr io.Writer) error {
	m, err := inspectModel(path)
	if err != nil {
		return err
	}
	id, err := writeDemoConfig(config, out, m)
	if err != nil {
		return err
	}
	name := m.Name
	if name == "" {
		name = filepath.Base(m.Path)
	}
	fmt.Fprintf(stderr, "model %s: %s (%s), %.1f MB, sha256 %s\n", m.Path, name, m.Arch, float64(m.Size)/1e6, m.Sha256)
	chat := m.ChatTemplate
	if chat == "" {
		chat = "none (raw prompts only)"
	}
	fmt.Fprintf(stderr, "  registered in the demo genesis as %q, context %d tokens (trained %d), chat template %s\n", id, m.Context, m.TrainContext, chat)
	fmt.Fprintln(stdout, id)
	return nil
}
