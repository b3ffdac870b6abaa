package inference

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// LlamaServerConfig configures the backend that talks to an operator's llama-server.
//
// The server must share the determinism profile of the llama backend to give the same
// tokens: the same llama.cpp version and CPU kernels (scripts/build-llama-server.sh builds
// the x64 baseline), flash attention off and fixed batch sizes, e.g.
//
//	llama-server --host 127.0.0.1 --port 8080 -m MODEL -c 2048 -b 2048 -ub 2048 -fa off --parallel 1
type LlamaServerConfig struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// ModelPath, when set, must be the file the server reports it has loaded.
	ModelPath string
	// Context is the context limit enforced, as LlamaConfig.Context: 0 means DefaultContext
	// capped at the model's training context. The server's context must be at least this.
	Context int
	// Timeout bounds each HTTP request; 0 means DefaultLlamaServerTimeout.
	Timeout time.Duration
	// Client is the HTTP client; nil means a new one.
	Client *http.Client
}

// DefaultLlamaServerTimeout bounds one HTTP request (a whole generation) by default.
const DefaultLlamaServerTimeout = 10 * time.Minute

// maxServerResponse bounds a response body; a generation of a full context is far smaller.
const maxServerResponse = 64 << 20

// LlamaServer is a Backend on llama-server's HTTP API. Greedy requests give the tokens and
// text of the llama backend; seeded sampling is refused (ErrUnsupportedSampling) because
// the server does not expose the logits this package's sampler needs. Every answer of the
// server is checked; a failed or implausible one is an ErrBackend.
type LlamaServer struct {
	base    string
	client  *http.Client
	timeout time.Duration
	nCtx    int
	nVocab  int
	// How this vocabulary detokenizes (llama_vocab::impl::detokenize), measured at open.
	addSpacePrefix bool
	cleanSpaces    bool

	mu         sync.Mutex
	suppressed map[uint32]bool // control/unknown tokens, which render as "" in Text
	closed     bool
}

var _ Backend = (*LlamaServer)(nil)

// NewLlamaServer checks that the server is up and serves the configured model, reads its
// context and vocabulary size, and measures how its vocabulary detokenizes.
func NewLlamaServer(cfg LlamaServerConfig) (Backend, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("llama-server: URL %q must look like http://127.0.0.1:8080", cfg.URL)
	}
	if cfg.Context < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("llama-server: context (%d) and timeout (%s) must not be negative", cfg.Context, cfg.Timeout)
	}
	s := &LlamaServer{
		base: strings.TrimRight(u.String(), "/"), client: cfg.Client, timeout: cfg.Timeout,
		suppressed: map[uint32]bool{},
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.timeout == 0 {
		s.timeout = DefaultLlamaServerTimeout
	}
	ctx := context.Background()

	if err := s.call(ctx, http.MethodGet, "/health", nil, &struct{}{}); err != nil {
		return nil, fmt.Errorf("llama-server at %s is not ready: %w", s.base, err)
	}
	var props struct {
		Settings *struct {
			NCtx *int `json:"n_ctx"`
		} `json:"default_generation_settings"`
		ModelPath string `json:"model_path"`
	}
	if err := s.call(ctx, http.MethodGet, "/props", nil, &props); err != nil {
		return nil, err
	}
	if props.Settings == nil || props.Settings.NCtx == nil || *props.Settings.NCtx <= 0 {
		return nil, fmt.Errorf("%w: /props has no positive default_generation_settings.n_ctx", ErrBackend)
	}
	if err := sameModel(cfg.ModelPath, props.ModelPath); err != nil {
		return nil, err
	}
	var models struct {
		Data []struct {
			Meta *struct {
				NVocab    *int `json:"n_vocab"`
				NCtxTrain int  `json:"n_ctx_train"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := s.call(ctx, http.MethodGet, "/v1/models", nil, &models); err != nil {
		return nil, err
	}
	if len(models.Data) != 1 || models.Data[0].Meta == nil || models.Data[0].Meta.NVocab == nil {
		return nil, fmt.Errorf("%w: /v1/models must list one model with meta.n_vocab", ErrBackend)
	}
	meta := models.Data[0].Meta
	if s.nVocab = *meta.NVocab; s.nVocab <= 0 || s.nVocab > MaxSamplerVocab {
		return nil, fmt.Errorf("llama-server: %w: %d tokens", ErrUnsupportedVocab, s.nVocab)
	}
	// The same limit as the llama backend with the same config, so that both refuse the
	// same requests; the server's own (rounded, possibly larger) context only has to fit it.
	s.nCtx = cfg.Context
	if s.nCtx == 0 {
		s.nCtx = DefaultContext
		if meta.NCtxTrain > 0 && meta.NCtxTrain < s.nCtx {
			s.nCtx = meta.NCtxTrain
		}
	}
	if got := *props.Settings.NCtx; got < s.nCtx {
		return nil, fmt.Errorf("llama-server: its context is %d tokens, %d are needed: start it with -c %d", got, s.nCtx, s.nCtx)
	}
	if err := s.calibrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// sameModel checks that the server's model file is the configured one, when both are known.
func sameModel(want, got string) error {
	if want == "" || got == "" {
		return nil
	}
	wi, err := os.Stat(want)
	if err != nil {
		return fmt.Errorf("llama-server: model: %w", err)
	}
	if gi, err := os.Stat(got); err == nil {
		if !os.SameFile(wi, gi) {
			return fmt.Errorf("llama-server serves %s, the config names %s (another file)", got, want)
		}
		return nil
	}
	// The server may run elsewhere (a container) and see the file under another folder.
	if filepath.Base(got) != filepath.Base(want) {
		return fmt.Errorf("llama-server serves %s, the config names %s", got, want)
	}
	return nil
}

// ContextSize returns the context limit in tokens.
func (s *LlamaServer) ContextSize() int { return s.nCtx }

// Generate tokenizes the prompt on the server, checks it against the context like the llama
// backend, generates greedily from the token ids and renders the text.
func (s *LlamaServer) Generate(ctx context.Context, req Request) (Result, error) {
	start := time.Now()
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if !req.SamplerParams().Greedy() {
		return Result{}, fmt.Errorf("%w: temperature %d milli: llama-server samples with its own code and "+
			"does not return the full logits, so seeded sampling cannot match the llama backend; only greedy (temperature 0) is served",
			ErrUnsupportedSampling, req.TemperatureMilli)
	}
	// JSON carries text as UTF-8 only: invalid bytes would be replaced and tokenized differently.
	if !utf8.ValidString(req.Prompt) {
		return Result{}, fmt.Errorf("%w: the prompt is not valid UTF-8, which llama-server cannot receive unchanged", ErrInvalidRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Result{}, ErrClosed
	}

	prompt, err := s.tokenize(ctx, req.Prompt, true, true)
	if err != nil {
		return Result{}, err
	}
	switch {
	case len(prompt) == 0:
		return Result{}, ErrEmptyPrompt
	case len(prompt) >= s.nCtx:
		return Result{}, fmt.Errorf("%w: %d prompt tokens, context %d", ErrPromptTooLong, len(prompt), s.nCtx)
	case len(prompt)+req.MaxTokens > s.nCtx:
		return Result{}, fmt.Errorf("%w: %d prompt + %d max tokens > context %d",
			ErrContextExceeded, len(prompt), req.MaxTokens, s.nCtx)
	}

	comp, err := s.complete(ctx, prompt, req.MaxTokens, req.Seed)
	if err != nil {
		return Result{}, err
	}
	if comp.TokensEvaluated == nil || *comp.TokensEvaluated != len(prompt) {
		return Result{}, fmt.Errorf("%w: /completion evaluated %v prompt tokens, %d were sent", ErrBackend, deref(comp.TokensEvaluated), len(prompt))
	}
	out, err := s.checkTokens("/completion", *comp.Tokens)
	if err != nil {
		return Result{}, err
	}
	if len(out) > req.MaxTokens {
		return Result{}, fmt.Errorf("%w: /completion returned %d tokens for n_predict %d", ErrBackend, len(out), req.MaxTokens)
	}
	res := Result{PromptTokens: prompt}
	switch *comp.StopType {
	case "eos":
		// The end-of-generation token is in the list; the llama backend leaves it out.
		if len(out) == 0 {
			return Result{}, fmt.Errorf("%w: /completion stopped at eos without the eos token", ErrBackend)
		}
		res.OutputTokens, res.Stop, res.StopToken = out[:len(out)-1], StopEOS, out[len(out)-1]
	case "limit":
		// Anything short of n_predict (a context or time limit of the server) is not what
		// the llama backend would have produced.
		if len(out) != req.MaxTokens {
			return Result{}, fmt.Errorf("%w: /completion stopped at a limit after %d of %d tokens", ErrBackend, len(out), req.MaxTokens)
		}
		res.OutputTokens, res.Stop, res.StopToken = out, StopMaxTokens, tasktypes.NoStopToken
	default:
		return Result{}, fmt.Errorf("%w: /completion stop_type %q", ErrBackend, *comp.StopType)
	}
	ps, err := s.renderedPieces(ctx, res.OutputTokens)
	if err != nil {
		return Result{}, err
	}
	res.Text = s.join(ps)
	if req.OnToken != nil {
		// The whole answer is in: every token is reported now, in order.
		split := newPieceSplitter(req.OnToken, s.addSpacePrefix, s.cleanSpaces, true)
		for i, t := range res.OutputTokens {
			split.add(i, t, ps[i])
		}
		split.finish(res.Text)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// Close marks the backend closed; the server keeps running (it is the operator's).
func (s *LlamaServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.client.CloseIdleConnections()
	return nil
}

type completion struct {
	Tokens          *[]int64 `json:"tokens"`
	StopType        *string  `json:"stop_type"`
	TokensEvaluated *int     `json:"tokens_evaluated"`
	Prompt          *string  `json:"prompt"` // the prompt detokenized by llama_detokenize
}

// complete runs one greedy generation from token ids. Only the temperature sampler is in the
// chain: at temperature 0 it keeps the first highest logit, i.e. the lowest id on a tie, as
// this package's greedy sampler (top-k would sort and break ties by its own order).
func (s *LlamaServer) complete(ctx context.Context, prompt []uint32, nPredict int, seed uint64) (completion, error) {
	body := map[string]any{
		"prompt":        prompt,
		"n_predict":     nPredict,
		"temperature":   0,
		"top_k":         1,
		"samplers":      []string{"temperature"},
		"seed":          seed & 0x7fffffff, // unused when greedy; the server takes 32 bits, -1 = random
		"cache_prompt":  false,
		"return_tokens": true,
		"stream":        false,
		"n_probs":       0,
		"stop":          []string{},
		"ignore_eos":    false,
	}
	var c completion
	if err := s.call(ctx, http.MethodPost, "/completion", body, &c); err != nil {
		return completion{}, err
	}
	if c.Tokens == nil || c.StopType == nil {
		return completion{}, fmt.Errorf("%w: /completion answer lacks tokens or stop_type", ErrBackend)
	}
	return c, nil
}

// tokenize asks the server for the token ids of text.
func (s *LlamaServer) tokenize(ctx context.Context, text string, addSpecial, parseSpecial bool) ([]uint32, error) {
	var r struct {
		Tokens *[]int64 `json:"tokens"`
	}
	body := map[string]any{"content": text, "add_special": addSpecial, "parse_special": parseSpecial}
	if err := s.call(ctx, http.MethodPost, "/tokenize", body, &r); err != nil {
		return nil, err
	}
	if r.Tokens == nil {
		return nil, fmt.Errorf("%w: /tokenize answer lacks tokens", ErrBackend)
	}
	return s.checkTokens("/tokenize", *r.Tokens)
}

// pieces returns the bytes of each token as llama_token_to_piece renders it with special
// tokens shown. /tokenize accepts token ids and sends a piece that is not valid UTF-8 (a
// byte token, part of a character) as a byte array, so nothing is lost to JSON.
func (s *LlamaServer) pieces(ctx context.Context, toks []uint32) ([][]byte, error) {
	var r struct {
		Tokens *[]struct {
			ID    *int64          `json:"id"`
			Piece json.RawMessage `json:"piece"`
		} `json:"tokens"`
	}
	if err := s.call(ctx, http.MethodPost, "/tokenize", map[string]any{"content": toks, "with_pieces": true}, &r); err != nil {
		return nil, err
	}
	if r.Tokens == nil || len(*r.Tokens) != len(toks) {
		return nil, fmt.Errorf("%w: /tokenize with_pieces returned no or the wrong number of pieces", ErrBackend)
	}
	out := make([][]byte, len(toks))
	for i, t := range *r.Tokens {
		if t.ID == nil || *t.ID != int64(toks[i]) {
			return nil, fmt.Errorf("%w: /tokenize with_pieces: piece %d is not token %d", ErrBackend, i, toks[i])
		}
		var str string
		var raw []uint8
		switch {
		case json.Unmarshal(t.Piece, &str) == nil:
			out[i] = []byte(str)
		case json.Unmarshal(t.Piece, &raw) == nil:
			out[i] = raw
		default:
			return nil, fmt.Errorf("%w: /tokenize with_pieces: piece of token %d is %s", ErrBackend, toks[i], t.Piece)
		}
	}
	return out, nil
}

// isSuppressed reports whether token t (piece p as rendered with special tokens shown) is a
// control or unknown token, which llama_detokenize leaves out unless asked to show special
// tokens. The server has no endpoint for token attributes; tokenizing the piece tells: such
// a token is recognized as itself only when special tokens are parsed, while normal and
// user-defined tokens are tokenized the same either way. Cached per token.
func (s *LlamaServer) isSuppressed(ctx context.Context, t uint32, p []byte) (bool, error) {
	if v, ok := s.suppressed[t]; ok {
		return v, nil
	}
	sup := false
	if len(p) > 0 && utf8.Valid(p) {
		withSpecial, err := s.tokenize(ctx, string(p), false, true)
		if err != nil {
			return false, err
		}
		if slices.Equal(withSpecial, []uint32{t}) {
			plain, err := s.tokenize(ctx, string(p), false, false)
			if err != nil {
				return false, err
			}
			sup = !slices.Equal(plain, []uint32{t})
		}
	}
	s.suppressed[t] = sup
	return sup, nil
}

// detokenize renders toks as the llama backend does, llama_detokenize(vocab, toks,
// remove_special=false, unparse_special=false): the server's /detokenize shows special
// tokens, keeps the first token's leading space and does not clean up spaces.
func (s *LlamaServer) detokenize(ctx context.Context, toks []uint32) (string, error) {
	ps, err := s.renderedPieces(ctx, toks)
	if err != nil {
		return "", err
	}
	return s.join(ps), nil
}

// renderedPieces returns each token's piece as llama_detokenize renders it: control and
// unknown tokens as nothing.
func (s *LlamaServer) renderedPieces(ctx context.Context, toks []uint32) ([][]byte, error) {
	if len(toks) == 0 {
		return nil, nil
	}
	ps, err := s.pieces(ctx, toks)
	if err != nil {
		return nil, err
	}
	for i, t := range toks {
		sup, err := s.isSuppressed(ctx, t, ps[i])
		if err != nil {
			return nil, err
		}
		if sup {
			ps[i] = nil
		}
	}
	return ps, nil
}

// join renders pieces into the text (joinPieces with this vocabulary's settings).
func (s *LlamaServer) join(ps [][]byte) string {
	if len(ps) == 0 {
		return ""
	}
	// joinPieces copies: the pieces stay intact for OnToken.
	text := joinPieces(ps, s.addSpacePrefix, s.cleanSpaces)
	// The llama backend's yzma.Detokenize drops one trailing NUL byte (taking it for a C
	// terminator); a <0x00> byte token at the end renders as nothing there, so here too.
	if n := len(text); n > 0 && text[n-1] == 0 {
		text = text[:n-1]
	}
	return string(text)
}

// calibrate measures the two vocabulary flags that change detokenized text: add_space_prefix
// (one leading space of the first token is dropped) and clean_spaces (" ." -> "." etc.).
// The server applies both in the "prompt" it echoes with a completion; of the four
// combinations exactly one must reproduce that echo from the pieces of " a .".
func (s *LlamaServer) calibrate(ctx context.Context) error {
	toks, err := s.tokenize(ctx, " a .", false, false)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		return fmt.Errorf("%w: /tokenize returned no tokens for %q", ErrBackend, " a .")
	}
	ps, err := s.pieces(ctx, toks)
	if err != nil {
		return err
	}
	c, err := s.complete(ctx, toks, 1, 0)
	if err != nil {
		return err
	}
	if c.Prompt == nil {
		return fmt.Errorf("%w: /completion answer lacks prompt", ErrBackend)
	}
	found := 0
	for _, flags := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		if string(joinPieces(ps, flags[0], flags[1])) == *c.Prompt {
			found++
			s.addSpacePrefix, s.cleanSpaces = flags[0], flags[1]
		}
	}
	if found != 1 {
		return fmt.Errorf("%w: cannot tell how this vocabulary detokenizes: pieces %q, server text %q", ErrBackend, ps, *c.Prompt)
	}
	return nil
}

// joinPieces concatenates token pieces like llama_vocab::impl::detokenize.
func joinPieces(ps [][]byte, addSpacePrefix, cleanSpaces bool) []byte {
	var text []byte
	for i, p := range ps {
		if i == 0 && addSpacePrefix && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		text = append(text, p...)
	}
	if cleanSpaces {
		text = cleanUpSpaces(text)
	}
	return text
}

// cleanUpSpaces is the clean_spaces step of llama_vocab::impl::detokenize (llama.cpp
// v0.5.0), ported pass for pass, in place, with its quirks.
func cleanUpSpaces(text []byte) []byte {
	// first pass: " ?", " !", " .", " ," lose the space
	total := min(len(text), 1)
	for i := 1; i < len(text); i++ {
		x := text[i]
		if text[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			total--
		}
		text[total] = x
		total++
	}
	text = text[:total]
	// second pass: " ' " -> "'"
	total = min(len(text), 1)
	for i := 1; i < len(text); i++ {
		x := text[i]
		if x == '\'' && i+1 < len(text) && text[i-1] == ' ' && text[i+1] == ' ' {
			total--
			i++
			text[i] = 0
		}
		text[total] = x
		total++
	}
	text = text[:total]
	// third pass: " 's", " 'm", " 're", " 've" lose the space
	total = min(len(text), 1)
	for i := 1; i < len(text); i++ {
		x := text[i]
		if text[i-1] == ' ' && x == '\'' && i+1 < len(text) {
			switch x1 := text[i+1]; {
			case x1 == 's' || x1 == 'm':
				total--
			case x1 == 't' || x1 == 'd':
			case i+2 < len(text) && ((x1 == 'r' || x1 == 'v') && text[i+2] == 'e'):
				total--
			}
		}
		text[total] = x
		total++
	}
	return text[:total]
}

// checkTokens converts ids from the server, each of which must be in the vocabulary.
func (s *LlamaServer) checkTokens(endpoint string, ids []int64) ([]uint32, error) {
	out := make([]uint32, len(ids))
	for i, id := range ids {
		if id < 0 || id >= int64(s.nVocab) {
			return nil, fmt.Errorf("%w: %s returned token id %d outside the vocabulary of %d", ErrBackend, endpoint, id, s.nVocab)
		}
		out[i] = uint32(id)
	}
	return out, nil
}

// call sends one request and decodes the JSON answer into out. Every failure but the
// caller's own cancellation is an ErrBackend.
func (s *LlamaServer) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, s.base+path, body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBackend, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s %s: %w", ErrBackend, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxServerResponse+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("%w: %s %s: read: %w", ErrBackend, method, path, err)
	case len(raw) > maxServerResponse:
		return fmt.Errorf("%w: %s %s: answer larger than %d bytes", ErrBackend, method, path, maxServerResponse)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrBackend, method, path, resp.StatusCode, snippet(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%w: %s %s: bad JSON (%w): %s", ErrBackend, method, path, err, snippet(raw))
	}
	return nil
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return strings.ToValidUTF8(string(b[:n]), "?") + "..."
	}
	return strings.ToValidUTF8(string(b), "?")
}

func deref(p *int) any {
	if p == nil {
		return "no"
	}
	return *p
}
