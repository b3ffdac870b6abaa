package inference

import (
	"context"
	"fmt"

	"github.com/hybridgroup/yzma/pkg/llama"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Rescorer recomputes the audit trace of a claimed output by teacher forcing: one batched
// pass over the prompt and the claimed tokens, about the cost of a prompt evaluation.
type Rescorer interface {
	Rescore(ctx context.Context, req RescoreRequest) (RescoreResult, error)
}

// RescoreRequest is one claimed output to re-score.
type RescoreRequest struct {
	// Prompt is the job's prompt text; the rescorer tokenizes it as Generate does.
	Prompt string
	// Claimed: only OutputTokens and StopToken are used.
	Claimed tasktypes.Claimed
	// Sampling of the job: intervals are computed iff TemperatureMilli > 0.
	Sampling tasktypes.Sampling
	// ChallengeSeed is the audit round's seed; nil means no challenge values.
	ChallengeSeed []byte
}

// RescoreResult is the verifier's view of a claimed output.
type RescoreResult struct {
	PromptTokens []uint32
	Trace        verifytypes.Trace
	// StopMismatch is the first position whose claimed token contradicts how generation
	// ends (an output token that is an end-of-generation token, or a stop token that is
	// not one), -1 when none does. The trace cannot show this: an honest generation never
	// produces it.
	StopMismatch int
}

var _ Rescorer = (*Llama)(nil)

// Rescore clears the KV cache and decodes prompt + claimed[:n-1] in one batch, with logits
// for the n positions that predict the claimed tokens, then computes the trace. On the same
// library and kernel variant the values match Generate's trace.
func (l *Llama) Rescore(ctx context.Context, req RescoreRequest) (RescoreResult, error) {
	scored := req.Claimed.Scored()
	n := len(scored)
	if n == 0 {
		return RescoreResult{}, fmt.Errorf("%w: the claimed output has no token to score", ErrInvalidRequest)
	}
	params := SamplerParams{TemperatureMilli: req.Sampling.TemperatureMilli, TopK: req.Sampling.TopK, TopPMilli: req.Sampling.TopPMilli}
	if err := (Request{MaxTokens: n, TemperatureMilli: params.TemperatureMilli, TopPMilli: params.TopPMilli}).Validate(); err != nil {
		return RescoreResult{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return RescoreResult{}, ErrClosed
	}
	for i, t := range scored {
		if int64(t) >= int64(l.nVocab) {
			return RescoreResult{}, fmt.Errorf("%w: claimed token %d at position %d is outside the vocabulary of %d",
				ErrInvalidRequest, t, i, l.nVocab)
		}
	}

	prompt := l.tokenize(req.Prompt)
	switch {
	case len(prompt) == 0:
		return RescoreResult{}, ErrEmptyPrompt
	case len(prompt) >= l.nCtx:
		return RescoreResult{}, fmt.Errorf("%w: %d prompt tokens, context %d", ErrPromptTooLong, len(prompt), l.nCtx)
	case len(prompt)+n > l.nCtx:
		// Generate refuses prompt + max tokens > context, so no honest output is this long.
		return RescoreResult{}, fmt.Errorf("%w: %d prompt + %d claimed tokens > context %d",
			ErrContextExceeded, len(prompt), n, l.nCtx)
	}
	if err := ctx.Err(); err != nil {
		return RescoreResult{}, err
	}
	if err := l.decodeTeacherForced(prompt, scored); err != nil {
		return RescoreResult{}, err
	}

	sampled := !params.Greedy()
	sampler := NewSampler(params, req.Sampling.Seed)
	rec := newTraceRecorder(n, sampled)
	if req.ChallengeSeed != nil {
		rec.t.Challenge = make([]int32, 0, n)
	}
	for i, tok := range scored {
		// batch index len(prompt)-1+i holds the token before scored[i]
		logits, err := llama.GetLogitsIth(l.lctx, int32(len(prompt)-1+i), l.nVocab)
		if err != nil || logits == nil {
			return RescoreResult{}, fmt.Errorf("%w: no logits at position %d (%w)", ErrDecode, i, err)
		}
		var lo, hi uint64
		if sampled {
			if lo, hi, err = sampler.Interval(logits, int(tok)); err != nil {
				return RescoreResult{}, err
			}
		}
		p, err := rec.add(logits, tok, lo, hi)
		if err != nil {
			return RescoreResult{}, fmt.Errorf("position %d: %w", i, err)
		}
		if req.ChallengeSeed != nil {
			rec.t.Challenge = append(rec.t.Challenge, p.lp(verifytypes.ChallengeToken(req.ChallengeSeed, i, l.nVocab)))
		}
	}
	return RescoreResult{PromptTokens: toUint32(prompt), Trace: rec.t, StopMismatch: l.stopMismatch(req.Claimed)}, nil
}

// decodeTeacherForced decodes prompt and scored[:n-1] as one batch, requesting logits at
// the last prompt token and every forced token (n outputs).
func (l *Llama) decodeTeacherForced(prompt []llama.Token, scored []uint32) error {
	mem, err := llama.GetMemory(l.lctx)
	if err != nil {
		return err
	}
	if err := llama.MemoryClear(mem, true); err != nil {
		return err
	}
	total := len(prompt) + len(scored) - 1
	batch := llama.BatchInit(int32(total), 0, 1)
	defer func() { _ = llama.BatchFree(batch) }()
	seq := []llama.SeqId{0}
	for i := range total {
		tok := llama.Token(0)
		if i < len(prompt) {
			tok = prompt[i]
		} else {
			tok = llama.Token(scored[i-len(prompt)])
		}
		if err := batch.Add(tok, llama.Pos(i), seq, i >= len(prompt)-1); err != nil {
			return fmt.Errorf("%w: batch: %w", ErrDecode, err)
		}
	}
	rc, err := llama.Decode(l.lctx, batch)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if rc != 0 {
		return fmt.Errorf("%w: llama_decode returned %d for %d tokens", ErrDecode, rc, total)
	}
	return nil
}

// stopMismatch returns the first position that contradicts end-of-generation, -1 if none.
func (l *Llama) stopMismatch(c tasktypes.Claimed) int {
	for i, t := range c.OutputTokens {
		if llama.VocabIsEOG(l.vocab, llama.Token(t)) {
			return i
		}
	}
	if c.StopToken != tasktypes.NoStopToken && !llama.VocabIsEOG(l.vocab, llama.Token(c.StopToken)) {
		return len(c.OutputTokens)
	}
	return -1
}
