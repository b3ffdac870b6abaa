package gguf

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Config describes the model to write. The same Config always gives the
// same bytes.
type Config struct {
	Dim     int    // embedding length
	Layers  int    // transformer blocks
	Heads   int    // attention heads
	KVHeads int    // key/value heads (grouped-query attention when < Heads)
	FFN     int    // feed-forward hidden size
	Context int    // training context length
	Seed    uint64 // weight seed
	// VocabFile, when set, is a GGUF file (e.g. llama.cpp's
	// models/ggml-vocab-llama-spm.gguf) whose tokenizer.* metadata is copied;
	// otherwise a built-in byte-fallback SentencePiece vocabulary is used.
	VocabFile string
	// Type stores the 2-D weights as "f32" (default when empty), "f16" or
	// "q8_0" (rows of dim and ffn must then be multiples of 32). Every type
	// holds the same seeded values, only rounded differently.
	Type string
	// ChatTemplate, when set, is written as tokenizer.chat_template (Jinja
	// source, as Hugging Face's tokenizer_config.json holds it), in place of
	// any the vocabulary file has. It changes the header only, never the
	// weights or the vocabulary: generation is the same with or without it.
	ChatTemplate string
}

// ChatMLTemplate is the ChatML chat template in Jinja (teknium's
// OpenHermes-2.5-Mistral-7B's, the first case of llama.cpp's own template
// test), which llama.cpp and chattemplate.Detect recognise as "chatml".
const ChatMLTemplate = `{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`

// DefaultConfig is a tiny model: dim 64, 2 layers, 4 heads, 2 kv heads,
// ffn 128, context 512, seed 42, f32, built-in vocabulary, the ChatML chat
// template.
func DefaultConfig() Config {
	return Config{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 128, Context: 512, Seed: 42, Type: "f32", ChatTemplate: ChatMLTemplate}
}

// ChatTemplateKey is the metadata key of a model's chat template (Jinja).
const ChatTemplateKey = "tokenizer.chat_template"

// maxSide bounds every dimension so a typo cannot ask for a huge file.
const maxSide = 1 << 16

// Validate reports the first problem with c.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"layers", c.Layers}, {"heads", c.Heads}, {"kv heads", c.KVHeads}, {"ffn", c.FFN}, {"context", c.Context}} {
		if f.v <= 0 {
			return fmt.Errorf("gguf: %s must be positive, got %d", f.name, f.v)
		}
		if f.v > maxSide {
			return fmt.Errorf("gguf: %s %d exceeds %d", f.name, f.v, maxSide)
		}
	}
	if c.Dim%c.Heads != 0 {
		return fmt.Errorf("gguf: heads (%d) must divide dim (%d)", c.Heads, c.Dim)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("gguf: kv heads (%d) must divide heads (%d)", c.KVHeads, c.Heads)
	}
	if (c.Dim/c.Heads)%2 != 0 {
		return fmt.Errorf("gguf: head dimension dim/heads = %d must be even for RoPE", c.Dim/c.Heads)
	}
	tt, err := c.tensorType()
	if err != nil {
		return err
	}
	// Rows of the 2-D weights are dim long (ffn for ffn_down); block types
	// quantize along rows, so both must hold whole blocks.
	be, _, _ := tt.blockSize()
	for _, r := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"ffn", c.FFN}} {
		if r.v%int(be) != 0 {
			return fmt.Errorf("gguf: type %s needs %s to be a multiple of %d, got %d", tt, r.name, be, r.v)
		}
	}
	return nil
}

func (c Config) tensorType() (GGMLType, error) {
	switch c.Type {
	case "", "f32":
		return GGMLTypeF32, nil
	case "f16":
		return GGMLTypeF16, nil
	case "q8_0":
		return GGMLTypeQ8_0, nil
	default:
		return 0, fmt.Errorf("gguf: type must be f32, f16 or q8_0, got %q", c.Type)
	}
}

// Metadata returns the metadata Write stores for c, in file order.
func (c Config) Metadata() ([]KV, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tt, _ := c.tensorType()
	fileType := uint32(0) // LLAMA_FTYPE_ALL_F32
	name := "sovra-demo-tiny"
	switch tt {
	case GGMLTypeF16:
		fileType = 1 // LLAMA_FTYPE_MOSTLY_F16
	case GGMLTypeQ8_0:
		fileType = 7 // LLAMA_FTYPE_MOSTLY_Q8_0
	}
	var tok []KV
	if c.VocabFile != "" {
		var err error
		if tok, err = fileTokenizerKV(c.VocabFile); err != nil {
			return nil, err
		}
	} else {
		tok = builtinTokenizerKV()
	}
	if c.ChatTemplate != "" {
		tok = slices.DeleteFunc(tok, func(kv KV) bool { return kv.Key == ChatTemplateKey })
		tok = append(tok, KV{ChatTemplateKey, c.ChatTemplate})
	}
	kvs := []KV{
		{"general.architecture", "llama"},
		{"general.name", name},
		{"general.file_type", fileType},
		{"general.alignment", uint32(DefaultAlignment)},
		{"llama.vocab_size", uint32(vocabSize(tok))},
		{"llama.context_length", uint32(c.Context)},
		{"llama.embedding_length", uint32(c.Dim)},
		{"llama.block_count", uint32(c.Layers)},
		{"llama.feed_forward_length", uint32(c.FFN)},
		{"llama.attention.head_count", uint32(c.Heads)},
		{"llama.attention.head_count_kv", uint32(c.KVHeads)},
		{"llama.rope.dimension_count", uint32(c.Dim / c.Heads)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
	}
	return append(kvs, tok...), nil
}

// Tensors returns the tensor infos Write stores for c (ggml dimension order,
// aligned offsets), and the total size of the data section.
func (c Config) Tensors(nVocab int) ([]TensorInfo, uint64, error) {
	if err := c.Validate(); err != nil {
		return nil, 0, err
	}
	if nVocab <= 0 {
		return nil, 0, errors.New("gguf: empty vocabulary")
	}
	tt, _ := c.tensorType()
	d, f, v := uint64(c.Dim), uint64(c.FFN), uint64(nVocab)
	kv := uint64(c.Dim / c.Heads * c.KVHeads)
	var ts []TensorInfo
	add := func(name string, typ GGMLType, dims ...uint64) {
		if len(dims) == 1 {
			typ = GGMLTypeF32 // norms stay f32, as llama.cpp's converter does
		}
		ts = append(ts, TensorInfo{Name: name, Dims: dims, Type: typ})
	}
	add("token_embd.weight", tt, d, v)
	for i := 0; i < c.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_norm.weight", tt, d)
		add(p+"attn_q.weight", tt, d, d)
		add(p+"attn_k.weight", tt, d, kv)
		add(p+"attn_v.weight", tt, d, kv)
		add(p+"attn_output.weight", tt, d, d)
		add(p+"ffn_norm.weight", tt, d)
		add(p+"ffn_gate.weight", tt, d, f)
		add(p+"ffn_up.weight", tt, d, f)
		add(p+"ffn_down.weight", tt, f, d)
	}
	add("output_norm.weight", tt, d)
	add("output.weight", tt, d, v)
	var off uint64
	for i := range ts {
		ts[i].Offset = off
		size, err := ts[i].Size()
		if err != nil {
			return nil, 0, err
		}
		off = alignUp(off+size, DefaultAlignment)
	}
	return ts, off, nil
}

// Write writes the GGUF file for cfg to w.
func Write(w io.Writer, cfg Config) error {
	kvs, err := cfg.Metadata()
	if err != nil {
		return err
	}
	ts, _, err := cfg.Tensors(vocabSize(kvs))
	if err != nil {
		return err
	}
	e := &encoder{}
	e.b = append(e.b, Magic...)
	e.u32(Version)
	e.u64(uint64(len(ts)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		if err := e.kv(kv); err != nil {
			return err
		}
	}
	for _, t := range ts {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(t.Offset)
	}
	e.b = append(e.b, make([]byte, alignUp(uint64(len(e.b)), DefaultAlignment)-uint64(len(e.b)))...)

	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(e.b); err != nil {
		return err
	}
	var pos uint64
	for _, t := range ts {
		if err := writePadding(bw, t.Offset-pos); err != nil {
			return err
		}
		n, err := writeTensorData(bw, t, cfg.Seed)
		if err != nil {
			return err
		}
		pos = t.Offset + n
	}
	// The data section ends aligned, like llama.cpp's own writer.
	if err := writePadding(bw, alignUp(pos, DefaultAlignment)-pos); err != nil {
		return err
	}
	return bw.Flush()
}

// writeTensorData writes the deterministic values of t and returns the byte count.
// Norm weights are 1 (the identity scale); matrices are uniform in
// [-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = Dims[0], from a stream
// seeded by the model seed and the tensor name, so one tensor's values do
// not depend on the others, nor on the storage type.
func writeTensorData(w io.Writer, t TensorInfo, seed uint64) (uint64, error) {
	n := t.Elements()
	size, err := t.Size()
	if err != nil {
		return 0, err
	}
	rng := splitmix64{state: seed ^ fnv64(t.Name)}
	scale := float32(1 / math.Sqrt(float64(t.Dims[0])))
	buf := make([]byte, 0, 1<<14)
	// Rows hold whole blocks (Size checked), so consecutive values fill
	// blocks without crossing a row.
	block := make([]float32, 0, q8BlockElems)
	for i := uint64(0); i < n; i++ {
		v := float32(1)
		if len(t.Dims) > 1 {
			v = rng.uniform() * scale
		}
		switch t.Type {
		case GGMLTypeF16:
			buf = binary.LittleEndian.AppendUint16(buf, float32ToF16(v))
		case GGMLTypeQ8_0:
			if block = append(block, v); len(block) == q8BlockElems {
				buf = appendQ8_0(buf, block)
				block = block[:0]
			}
		default:
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		if len(buf) >= 1<<14-q8BlockBytes {
			if _, err := w.Write(buf); err != nil {
				return 0, err
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return 0, err
	}
	return size, nil
}

// WriteFile writes the model to path (creating parent directories) and
// returns the sha256 of the file in hex.
func WriteFile(path string, cfg Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	werr := Write(io.MultiWriter(fh, h), cfg)
	cerr := fh.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return "", werr
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
