package gguf

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sovra-network/sovra/internal/chattemplate"
)

// Golden sha256 of the default models. A change here changes every model
// hash the chain and its tests know: update only on purpose.
const (
	goldenDefaultSHA256    = "95a97307e914f3eee93f9724b0f875bdfd8762bd1c7c593ed79ab1d5c30cef2d"
	goldenDefaultF16SHA256 = "623507851bce7e7e1956740c1635d94f3f526e022c8b29d6e046278c60d1e058"
	// The default model without its chat template: the demo model's file until the
	// template was added (its weights, vocabulary and tensor data are unchanged).
	goldenNoChatTemplateSHA256 = "f7e401816814c4dc150045d42f0046c436e26ea1e857d3f5af8e5759c560b8b0"
)

func writeBytes(t *testing.T, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, cfg); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDefaultModelIsDeterministic(t *testing.T) {
	a := writeBytes(t, DefaultConfig())
	b := writeBytes(t, DefaultConfig())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the default model differ")
	}
	if got := sha(a); got != goldenDefaultSHA256 {
		t.Fatalf("default model sha256 = %s, want %s", got, goldenDefaultSHA256)
	}
	path := filepath.Join(t.TempDir(), "sub", "demo.gguf")
	sum, err := WriteFile(path, DefaultConfig())
	if err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if sum != goldenDefaultSHA256 {
		t.Fatalf("WriteFile sha256 = %s, want %s", sum, goldenDefaultSHA256)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, a) {
		t.Fatal("WriteFile bytes differ from Write bytes")
	}
}

// TestChatTemplateChangesOnlyTheHeader: the chat template is one more metadata string;
// without it the default model is the file it was before, and with it the tensor data
// is byte for byte the same, only later in the file.
func TestChatTemplateChangesOnlyTheHeader(t *testing.T) {
	without := DefaultConfig()
	without.ChatTemplate = ""
	a, b := writeBytes(t, without), writeBytes(t, DefaultConfig())
	if got := sha(a); got != goldenNoChatTemplateSHA256 {
		t.Fatalf("default model without a chat template: sha256 %s, want %s", got, goldenNoChatTemplateSHA256)
	}
	dir := t.TempDir()
	var files [2]*File
	for i, blob := range [][]byte{a, b} {
		path := filepath.Join(dir, fmt.Sprintf("m%d.gguf", i))
		if err := os.WriteFile(path, blob, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
	}
	if !bytes.Equal(a[files[0].DataOffset:], b[files[1].DataOffset:]) {
		t.Fatal("tensor data differs with the chat template")
	}
	if !reflect.DeepEqual(files[0].Tensors, files[1].Tensors) {
		t.Fatal("tensor infos differ with the chat template")
	}
	if _, ok := files[0].Get(ChatTemplateKey); ok {
		t.Fatal("a chat template without one configured")
	}
	if got, _ := files[1].Get(ChatTemplateKey); got != ChatMLTemplate {
		t.Fatalf("%s = %q", ChatTemplateKey, got)
	}
	if name, ok := chattemplate.Detect(ChatMLTemplate); !ok || name != "chatml" {
		t.Fatalf("Detect(ChatMLTemplate) = %q, %v", name, ok)
	}
}

func TestDefaultF16ModelGolden(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Type = "f16"
	if got := sha(writeBytes(t, cfg)); got != goldenDefaultF16SHA256 {
		t.Fatalf("f16 model sha256 = %s, want %s", got, goldenDefaultF16SHA256)
	}
}

func TestSeedChangesWeights(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Seed = 43
	if bytes.Equal(writeBytes(t, cfg), writeBytes(t, DefaultConfig())) {
		t.Fatal("seed 43 gave the same bytes as seed 42")
	}
}

func TestReadRoundTrip(t *testing.T) {
	for _, typ := range []string{"f32", "f16", "q8_0"} {
		t.Run(typ, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Type = typ
			path := filepath.Join(t.TempDir(), "m.gguf")
			if _, err := WriteFile(path, cfg); err != nil {
				t.Fatal(err)
			}
			f, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if f.Version != Version || f.Alignment != DefaultAlignment {
				t.Fatalf("version %d alignment %d", f.Version, f.Alignment)
			}
			want, err := cfg.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Metadata, want) {
				t.Fatalf("metadata round trip differs:\n got %v\nwant %v", keys(f.Metadata), keys(want))
			}
			for key, v := range map[string]any{
				"general.architecture":                   "llama",
				"llama.context_length":                   uint32(512),
				"llama.embedding_length":                 uint32(64),
				"llama.block_count":                      uint32(2),
				"llama.feed_forward_length":              uint32(128),
				"llama.attention.head_count":             uint32(4),
				"llama.attention.head_count_kv":          uint32(2),
				"llama.rope.dimension_count":             uint32(16),
				"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
				"tokenizer.ggml.model":                   "llama",
				"tokenizer.ggml.bos_token_id":            uint32(BOSID),
				"tokenizer.ggml.eos_token_id":            uint32(EOSID),
				"tokenizer.ggml.unknown_token_id":        uint32(UnkID),
				"tokenizer.ggml.add_bos_token":           true,
			} {
				if got, ok := f.Get(key); !ok || got != v {
					t.Errorf("%s = %v (%T), want %v (%T)", key, got, got, v, v)
				}
			}
			nv := vocabSize(f.Metadata)
			if got, _ := f.Get("llama.vocab_size"); got != uint32(nv) {
				t.Errorf("llama.vocab_size = %v, want %d", got, nv)
			}
			wantTensors, dataSize, err := cfg.Tensors(nv)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Tensors, wantTensors) {
				t.Fatalf("tensor infos differ")
			}
			if len(f.Tensors) != 3+9*cfg.Layers {
				t.Errorf("%d tensors, want %d", len(f.Tensors), 3+9*cfg.Layers)
			}
			matType := map[string]GGMLType{"f32": GGMLTypeF32, "f16": GGMLTypeF16, "q8_0": GGMLTypeQ8_0}[typ]
			if got, _ := f.Get("general.file_type"); got != map[string]uint32{"f32": 0, "f16": 1, "q8_0": 7}[typ] {
				t.Errorf("general.file_type = %v", got)
			}
			for name, dims := range map[string][]uint64{
				"token_embd.weight":        {64, uint64(nv)},
				"output_norm.weight":       {64},
				"output.weight":            {64, uint64(nv)},
				"blk.1.attn_norm.weight":   {64},
				"blk.1.attn_q.weight":      {64, 64},
				"blk.1.attn_k.weight":      {64, 32},
				"blk.1.attn_v.weight":      {64, 32},
				"blk.1.attn_output.weight": {64, 64},
				"blk.1.ffn_norm.weight":    {64},
				"blk.1.ffn_gate.weight":    {64, 128},
				"blk.1.ffn_up.weight":      {64, 128},
				"blk.1.ffn_down.weight":    {128, 64},
			} {
				ti, ok := f.Tensor(name)
				if !ok {
					t.Errorf("missing tensor %s", name)
					continue
				}
				if !reflect.DeepEqual(ti.Dims, dims) {
					t.Errorf("%s dims %v, want %v", name, ti.Dims, dims)
				}
				wantType := matType
				if len(dims) == 1 {
					wantType = GGMLTypeF32
				}
				if ti.Type != wantType {
					t.Errorf("%s type %s, want %s", name, ti.Type, wantType)
				}
			}
			if f.DataOffset%DefaultAlignment != 0 {
				t.Errorf("data offset %d not aligned", f.DataOffset)
			}
			var end uint64
			for _, ti := range f.Tensors {
				if ti.Offset%DefaultAlignment != 0 {
					t.Errorf("%s offset %d not aligned", ti.Name, ti.Offset)
				}
				if ti.Offset < end {
					t.Errorf("%s offset %d overlaps the previous tensor (ends %d)", ti.Name, ti.Offset, end)
				}
				size, err := ti.Size()
				if err != nil {
					t.Fatal(err)
				}
				end = ti.Offset + size
			}
			if uint64(f.Size) != f.DataOffset+dataSize || dataSize < end {
				t.Errorf("file size %d, want data offset %d + data %d (last tensor ends at %d)", f.Size, f.DataOffset, dataSize, end)
			}
		})
	}
}

// TestTensorDataPlacement reads values back at the offsets the header
// announces: norms are exactly 1, matrices are within ±1/sqrt(fan_in).
func TestTensorDataPlacement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := WriteFile(path, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range f.Tensors {
		start := f.DataOffset + ti.Offset
		bound := float32(1 / math.Sqrt(float64(ti.Dims[0])))
		var sumAbs float64
		for i := uint64(0); i < ti.Elements(); i++ {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[start+4*i:]))
			if len(ti.Dims) == 1 {
				if v != 1 {
					t.Fatalf("%s[%d] = %v, want 1", ti.Name, i, v)
				}
				continue
			}
			if v < -bound || v >= bound {
				t.Fatalf("%s[%d] = %v outside ±%v", ti.Name, i, v, bound)
			}
			sumAbs += math.Abs(float64(v))
		}
		if len(ti.Dims) > 1 && sumAbs/float64(ti.Elements()) < float64(bound)/4 {
			t.Errorf("%s looks degenerate: mean |w| %v for bound %v", ti.Name, sumAbs/float64(ti.Elements()), bound)
		}
	}
}

func keys(kvs []KV) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	mod := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"heads not dividing dim", mod(func(c *Config) { c.Heads = 5 }), "heads (5) must divide dim (64)"},
		{"kv heads not dividing heads", mod(func(c *Config) { c.KVHeads = 3 }), "kv heads (3) must divide heads (4)"},
		{"zero layers", mod(func(c *Config) { c.Layers = 0 }), "layers must be positive"},
		{"zero dim", mod(func(c *Config) { c.Dim = 0 }), "dim must be positive"},
		{"negative ffn", mod(func(c *Config) { c.FFN = -1 }), "ffn must be positive"},
		{"zero kv heads", mod(func(c *Config) { c.KVHeads = 0 }), "kv heads must be positive"},
		{"zero context", mod(func(c *Config) { c.Context = 0 }), "context must be positive"},
		{"odd head dim", mod(func(c *Config) { c.Dim = 36; c.Heads = 4 }), "must be even for RoPE"},
		{"huge dim", mod(func(c *Config) { c.Dim = 1 << 20 }), "exceeds"},
		{"bad type", mod(func(c *Config) { c.Type = "q4_0" }), `type must be f32, f16 or q8_0, got "q4_0"`},
		{"q8_0 row not whole blocks", mod(func(c *Config) { c.Type = "q8_0"; c.FFN = 100 }), "q8_0 needs ffn to be a multiple of 32"},
		{"missing vocab file", mod(func(c *Config) { c.VocabFile = "/nonexistent/vocab.gguf" }), "vocab file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error = %v, want containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("Write wrote %d bytes before refusing", buf.Len())
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			if _, err := WriteFile(path, tc.cfg); err == nil {
				t.Fatal("WriteFile accepted the config")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("WriteFile left a file behind: %v", err)
			}
		})
	}
}

func TestBuiltinVocab(t *testing.T) {
	tokens, scores, types := builtinVocab()
	if len(tokens) != len(scores) || len(tokens) != len(types) {
		t.Fatalf("lengths %d %d %d", len(tokens), len(scores), len(types))
	}
	if tokens[UnkID] != "<unk>" || tokens[BOSID] != "<s>" || tokens[EOSID] != "</s>" {
		t.Fatalf("special tokens %q", tokens[:3])
	}
	if types[UnkID] != TokenUnknown || types[BOSID] != TokenControl || types[EOSID] != TokenControl {
		t.Fatalf("special token types %v", types[:3])
	}
	for b := 0; b < 256; b++ {
		if want := fmt.Sprintf("<0x%02X>", b); tokens[3+b] != want || types[3+b] != TokenByte {
			t.Fatalf("token %d = %q type %d, want %q type 6", 3+b, tokens[3+b], types[3+b], want)
		}
	}
	seen := map[string]bool{}
	for i, tok := range tokens {
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
		if i >= 259 && types[i] != TokenNormal {
			t.Fatalf("piece %q has type %d", tok, types[i])
		}
		if i > 259 && scores[i] >= scores[i-1] {
			t.Fatalf("scores not decreasing at %q", tok)
		}
	}
	for _, p := range []string{"\u2581", "\u2581t", "\u2581th", "\u2581the", "\u2581chain", "e", "Z", "7"} {
		if !seen[p] {
			t.Errorf("missing piece %q", p)
		}
	}
	if n := len(tokens); n < 259+300 || n > 4096 {
		t.Errorf("vocabulary size %d, want a few hundred pieces", n)
	}
}

// writeVocabOnly writes a vocab-only GGUF like llama.cpp's models/ggml-vocab-*.gguf.
func writeVocabOnly(t *testing.T, kvs []KV) string {
	t.Helper()
	e := &encoder{}
	e.b = append(e.b, Magic...)
	e.u32(Version)
	e.u64(0)
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		if err := e.kv(kv); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "vocab.gguf")
	if err := os.WriteFile(path, e.b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVocabFileIsCopied(t *testing.T) {
	tokens := []string{"<unk>", "<s>", "</s>", "\u2581a", "b", "c", "d"}
	vocabKV := []KV{
		{"general.architecture", "llama"},
		{"general.name", "vocab-only"},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", []float32{0, 0, 0, -1, -2, -3, -4}},
		{"tokenizer.ggml.token_type", []int32{2, 3, 3, 1, 1, 1, 1}},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(2)},
		{"tokenizer.ggml.add_space_prefix", false},
		{"tokenizer.chat_template", "{{ messages }}"},
	}
	cfg := DefaultConfig()
	cfg.VocabFile = writeVocabOnly(t, vocabKV)
	cfg.ChatTemplate = "" // keep the vocabulary file's
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := WriteFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	tokenizerKV := func(f *File) []KV {
		var out []KV
		for _, kv := range f.Metadata {
			if strings.HasPrefix(kv.Key, "tokenizer.") {
				out = append(out, kv)
			}
		}
		return out
	}
	if gotTok := tokenizerKV(f); !reflect.DeepEqual(gotTok, vocabKV[2:]) {
		t.Fatalf("tokenizer metadata not copied verbatim: %v", keys(gotTok))
	}
	// A chat template of the config's own replaces the vocabulary file's.
	cfg.ChatTemplate = ChatMLTemplate
	replaced := filepath.Join(t.TempDir(), "chatml.gguf")
	if _, err := WriteFile(replaced, cfg); err != nil {
		t.Fatal(err)
	}
	rf, err := Read(replaced)
	if err != nil {
		t.Fatal(err)
	}
	wantTok := append(slices.Clone(vocabKV[2:len(vocabKV)-1]), KV{ChatTemplateKey, ChatMLTemplate})
	if gotTok := tokenizerKV(rf); !reflect.DeepEqual(gotTok, wantTok) {
		t.Fatalf("tokenizer metadata with the config's chat template: %v", gotTok)
	}
	if name, _ := f.Get("general.name"); name != "sovra-demo-tiny" {
		t.Errorf("general.name copied from the vocab file: %v", name)
	}
	if vs, _ := f.Get("llama.vocab_size"); vs != uint32(len(tokens)) {
		t.Errorf("llama.vocab_size = %v, want %d", vs, len(tokens))
	}
	for _, name := range []string{"token_embd.weight", "output.weight"} {
		ti, _ := f.Tensor(name)
		if !reflect.DeepEqual(ti.Dims, []uint64{64, uint64(len(tokens))}) {
			t.Errorf("%s dims %v", name, ti.Dims)
		}
	}

	noTokens := DefaultConfig()
	noTokens.VocabFile = writeVocabOnly(t, vocabKV[:3])
	if err := Write(&bytes.Buffer{}, noTokens); err == nil || !strings.Contains(err.Error(), "no tokenizer.ggml.tokens") {
		t.Fatalf("vocab file without tokens: err = %v", err)
	}
}

// TestRealVocabFile uses llama.cpp's models/ggml-vocab-llama-spm.gguf when
// SOVRA_GGUF_VOCAB points at it (it is not in the repository).
func TestRealVocabFile(t *testing.T) {
	vocab := os.Getenv("SOVRA_GGUF_VOCAB")
	if vocab == "" {
		t.Skip("set SOVRA_GGUF_VOCAB to llama.cpp's models/ggml-vocab-llama-spm.gguf")
	}
	cfg := DefaultConfig()
	cfg.VocabFile = vocab
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := WriteFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if vs, _ := f.Get("llama.vocab_size"); vs != uint32(32000) {
		t.Errorf("llama.vocab_size = %v, want 32000", vs)
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	good := writeBytes(t, DefaultConfig())
	cases := map[string][]byte{
		"empty":     nil,
		"bad magic": append([]byte("GGUX"), good[4:]...),
		"version 9": append(append([]byte("GGUF"), 9, 0, 0, 0), good[8:]...),
		"truncated": good[:200],
	}
	for name, b := range cases {
		if _, err := Parse(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
	if _, err := Parse(bytes.NewReader(good)); err != nil {
		t.Fatalf("Parse(good): %v", err)
	}
}

func TestFloat32ToF16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{0.1, 0x2e66},
		{65504, 0x7bff},
		{65520, 0x7c00}, // rounds up to infinity
		{float32(math.Inf(1)), 0x7c00},
		{6.103515625e-05, 0x0400},         // smallest normal
		{5.9604644775390625e-08, 0x0001},  // smallest subnormal
		{2.98023223876953125e-08, 0x0000}, // exactly half the smallest subnormal: ties to even
		{1e-10, 0x0000},
		{1 + 1.0/2048, 0x3c00},             // tie between 0x3c00 and 0x3c01: even
		{1 + 3.0/2048, 0x3c02},             // tie between 0x3c01 and 0x3c02: even
		{1 + 1.0/2048 + 1.0/65536, 0x3c01}, // just above the tie
	} {
		if got := float32ToF16(tc.in); got != tc.want {
			t.Errorf("float32ToF16(%v) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	if got := float32ToF16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x03ff == 0 {
		t.Errorf("NaN -> %#04x", got)
	}
}
