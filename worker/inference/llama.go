package inference

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hybridgroup/yzma/pkg/llama"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// LlamaConfig configures the in-process llama.cpp backend.
type LlamaConfig struct {
	// LibDir holds libllama.so, libggml.so, libggml-base.so and exactly one
	// libggml-cpu-<variant>.so (scripts/llama-libs.sh prints it).
	LibDir string
	// ModelPath is a GGUF file.
	ModelPath string
	// Threads for prompt and generation; 0 means 1. Results do not depend on it.
	Threads int
	// Context is the context size in tokens; 0 means DefaultContext, capped at the model's
	// training context. The prompt is evaluated in one batch of this size.
	Context int
}

// DefaultContext is the context size used when LlamaConfig.Context is 0.
const DefaultContext = 2048

// Llama is a Backend running llama.cpp in process through yzma (purego + libffi, no cgo).
// Generate calls are serialized; each starts from an empty KV cache.
type Llama struct {
	mu     sync.Mutex
	model  llama.Model
	lctx   llama.Context
	vocab  llama.Vocab
	nVocab int
	nCtx   int
	closed bool
	// How the vocabulary detokenizes (calibrateDetokenizer); pieces reported to
	// Request.OnToken follow it. detokKnown is false when it could not be measured.
	addSpacePrefix, cleanSpaces, detokKnown bool
	pieceBuf                                []byte
}

var _ Backend = (*Llama)(nil)

var (
	libMu     sync.Mutex
	libLoaded string // LibDir the process loaded llama.cpp from
)

// loadLibrary loads llama.cpp once per process; yzma keeps its function table in globals,
// so a second folder cannot be loaded next to the first.
func loadLibrary(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	libMu.Lock()
	defer libMu.Unlock()
	if libLoaded != "" {
		if libLoaded != abs {
			return fmt.Errorf("%w: loaded %s, asked for %s", ErrLibraryMismatch, libLoaded, abs)
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(abs, "libllama.so")); err != nil {
		return fmt.Errorf("llama.cpp libraries not found in %s (run make llama-libs): %w", abs, err)
	}
	if err := llama.Load(abs); err != nil {
		return fmt.Errorf("load llama.cpp from %s: %w", abs, err)
	}
	llama.LogSet(llama.LogSilent())
	llama.BackendInit()
	// Loads the CPU kernel library found in the folder; the folder holds exactly one variant,
	// which pins the kernels of the determinism profile.
	if err := llama.GGMLBackendLoadAllFromPath(abs); err != nil {
		return fmt.Errorf("load ggml backends from %s: %w", abs, err)
	}
	if llama.GGMLBackendDeviceCount() == 0 {
		return fmt.Errorf("no ggml CPU backend in %s: it needs one libggml-cpu-<variant>.so", abs)
	}
	libLoaded = abs
	return nil
}

// NewLlama loads the library (once per process) and the model, and creates a context.
func NewLlama(cfg LlamaConfig) (*Llama, error) {
	if cfg.LibDir == "" {
		return nil, errors.New("llama: LibDir is empty")
	}
	if cfg.Threads < 0 || cfg.Context < 0 {
		return nil, fmt.Errorf("llama: threads (%d) and context (%d) must not be negative", cfg.Threads, cfg.Context)
	}
	if _, err := os.Stat(cfg.ModelPath); err != nil {
		return nil, fmt.Errorf("llama: model: %w", err)
	}
	if err := loadLibrary(cfg.LibDir); err != nil {
		return nil, err
	}

	mp := llama.ModelDefaultParams()
	mp.NGpuLayers = 0
	model, err := llama.ModelLoadFromFile(cfg.ModelPath, mp)
	if err != nil {
		return nil, fmt.Errorf("llama: load model %s: %w", cfg.ModelPath, err)
	}
	vocab := llama.ModelGetVocab(model)
	nVocab := int(llama.VocabNTokens(vocab))
	if nVocab <= 0 || nVocab > MaxSamplerVocab {
		_ = llama.ModelFree(model)
		return nil, fmt.Errorf("llama: %w: %d tokens", ErrUnsupportedVocab, nVocab)
	}

	nCtx := cfg.Context
	if nCtx == 0 {
		nCtx = DefaultContext
		if train := int(llama.ModelNCtxTrain(model)); train > 0 && train < nCtx {
			nCtx = train
		}
	}
	threads := int32(max(cfg.Threads, 1))

	cp := llama.ContextDefaultParams()
	cp.NCtx = uint32(nCtx)
	cp.NBatch = uint32(nCtx) // the whole prompt is one batch, always the same size
	cp.NUbatch = uint32(nCtx)
	cp.NSeqMax = 1
	cp.NThreads = threads
	cp.NThreadsBatch = threads
	cp.FlashAttentionType = llama.FlashAttentionTypeDisabled
	cp.Embeddings = 0
	cp.NoPerf = 1
	lctx, err := llama.InitFromModel(model, cp)
	if err != nil {
		_ = llama.ModelFree(model)
		return nil, fmt.Errorf("llama: create context (n_ctx %d): %w", nCtx, err)
	}
	// llama.cpp rounds the KV cache up (to 256 cells); the limit enforced stays the
	// configured size so that it does not depend on that rounding.
	if got := int(llama.NCtx(lctx)); got < nCtx {
		_ = llama.Free(lctx)
		_ = llama.ModelFree(model)
		return nil, fmt.Errorf("llama: context size %d requested, llama.cpp made %d", nCtx, got)
	}
	l := &Llama{model: model, lctx: lctx, vocab: vocab, nVocab: nVocab, nCtx: nCtx, pieceBuf: make([]byte, 64)}
	l.calibrateDetokenizer()
	return l, nil
}

// calibrateDetokenizer measures the two vocabulary settings that make llama_detokenize
// more than the concatenation of the tokens' pieces (add_space_prefix, clean_spaces), as
// LlamaServer.calibrate does: of the four combinations exactly one must render the tokens
// of " a ." as llama_detokenize does. When none or several do, the pieces reported to
// Request.OnToken wait for the end of the generation (still exact, no longer streamed).
func (l *Llama) calibrateDetokenizer() {
	toks := llama.Tokenize(l.vocab, " a .", false, false)
	if len(toks) == 0 {
		return
	}
	ps := make([][]byte, len(toks))
	for i, t := range toks {
		ps[i] = l.piece(t)
	}
	want := llama.Detokenize(l.vocab, toks, false, false)
	found := 0
	for _, flags := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		if string(joinPieces(ps, flags[0], flags[1])) == want {
			found++
			l.addSpacePrefix, l.cleanSpaces = flags[0], flags[1]
		}
	}
	l.detokKnown = found == 1
}

// piece is the token's bytes as llama_detokenize renders it (special tokens not shown).
func (l *Llama) piece(t llama.Token) []byte {
	n := llama.TokenToPiece(l.vocab, t, l.pieceBuf, 0, false)
	if n < 0 {
		l.pieceBuf = make([]byte, -n)
		n = llama.TokenToPiece(l.vocab, t, l.pieceBuf, 0, false)
	}
	return bytes.Clone(l.pieceBuf[:max(n, 0)])
}

// ContextSize returns the context size in tokens.
func (l *Llama) ContextSize() int { return l.nCtx }

// Tokenize returns the prompt tokens as Generate sees them (BOS added when the model wants
// it, special-token text parsed as llama-server does).
func (l *Llama) Tokenize(prompt string) ([]uint32, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	return toUint32(l.tokenize(prompt)), nil
}

func (l *Llama) tokenize(prompt string) []llama.Token {
	return llama.Tokenize(l.vocab, prompt, true, true)
}

// Generate evaluates the prompt in one batch, then decodes token by token, sampling in Go.
func (l *Llama) Generate(ctx context.Context, req Request) (Result, error) {
	start := time.Now()
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Result{}, ErrClosed
	}

	prompt := l.tokenize(req.Prompt)
	switch {
	case len(prompt) == 0:
		return Result{}, ErrEmptyPrompt
	case len(prompt) >= l.nCtx:
		return Result{}, fmt.Errorf("%w: %d prompt tokens, context %d", ErrPromptTooLong, len(prompt), l.nCtx)
	case len(prompt)+req.MaxTokens > l.nCtx:
		return Result{}, fmt.Errorf("%w: %d prompt + %d max tokens > context %d",
			ErrContextExceeded, len(prompt), req.MaxTokens, l.nCtx)
	}

	mem, err := llama.GetMemory(l.lctx)
	if err != nil {
		return Result{}, err
	}
	if err := llama.MemoryClear(mem, true); err != nil {
		return Result{}, err
	}

	res := Result{PromptTokens: toUint32(prompt), Stop: StopMaxTokens, StopToken: tasktypes.NoStopToken}
	params := req.SamplerParams()
	sampler := NewSampler(params, req.Seed)
	trace := newTraceRecorder(req.MaxTokens+1, !params.Greedy())
	out := make([]llama.Token, 0, req.MaxTokens)
	var split *pieceSplitter
	if req.OnToken != nil {
		split = newPieceSplitter(req.OnToken, l.addSpacePrefix, l.cleanSpaces, l.detokKnown)
	}
	batch := prompt
	for len(out) < req.MaxTokens {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if err := l.decode(batch); err != nil {
			return Result{}, err
		}
		logits, err := llama.GetLogitsIth(l.lctx, -1, l.nVocab)
		if err != nil || logits == nil {
			return Result{}, fmt.Errorf("%w: no logits (%w)", ErrDecode, err)
		}
		id, lo, hi, err := sampler.SampleInterval(logits)
		if err != nil {
			return Result{}, err
		}
		// The trace covers every sampled token, the end-of-generation one included.
		if _, err := trace.add(logits, uint32(id), lo, hi); err != nil {
			return Result{}, err
		}
		tok := llama.Token(id)
		if llama.VocabIsEOG(l.vocab, tok) {
			res.Stop, res.StopToken = StopEOS, uint32(id)
			break
		}
		out = append(out, tok)
		if split != nil {
			// Before the next decode: a streamed token reaches its reader as soon as it is sampled.
			split.add(len(out)-1, uint32(id), l.piece(tok))
		}
		batch = []llama.Token{tok}
	}

	res.Trace = trace.t
	res.OutputTokens = toUint32(out)
	res.Text = llama.Detokenize(l.vocab, out, false, false)
	if split != nil {
		split.finish(res.Text)
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (l *Llama) decode(tokens []llama.Token) error {
	rc, err := llama.Decode(l.lctx, llama.BatchGetOne(tokens))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if rc != 0 {
		return fmt.Errorf("%w: llama_decode returned %d for %d tokens", ErrDecode, rc, len(tokens))
	}
	return nil
}

// Close frees the context and the model; the library stays loaded for the process.
func (l *Llama) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := llama.Free(l.lctx)
	return errors.Join(err, llama.ModelFree(l.model))
}

func toUint32(toks []llama.Token) []uint32 {
	out := make([]uint32, len(toks))
	for i, t := range toks {
		out[i] = uint32(t)
	}
	return out
}
