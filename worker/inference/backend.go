// Package inference runs LLM generation for the Sovra worker.
//
// A Backend turns a Request into the prompt and output token ids. Token ids are the truth
// that is hashed and compared between workers; Text is only a rendering of them. Two
// backends that share a determinism profile (engine version, CPU kernel variant, precision,
// flash attention off, fixed batch sizes and this package's sampler) produce the same ids
// for the same Request.
package inference

import (
	"context"
	"errors"
	"fmt"
	"time"

	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Backend generates text for one request at a time.
type Backend interface {
	Generate(ctx context.Context, req Request) (Result, error)
	Close() error
}

// Request is one generation job. Sampling parameters are fixed point so that they map 1:1 to
// on-chain integers: TemperatureMilli 0 means greedy decoding (argmax, ties to the lowest id);
// TopK 0 disables top-k; TopPMilli 0 or 1000 disables top-p.
type Request struct {
	Prompt           string
	MaxTokens        int
	Seed             uint64
	TemperatureMilli uint32
	TopK             uint32
	TopPMilli        uint32
	// OnToken, when set, is told each output token as it is sampled (see OnToken); it
	// streams a job's tokens and has no part in the result.
	OnToken OnToken
}

// StopReason says why generation ended.
type StopReason string

const (
	// StopEOS: the model produced an end-of-generation token (not included in OutputTokens).
	StopEOS StopReason = "eos"
	// StopMaxTokens: MaxTokens output tokens were produced.
	StopMaxTokens StopReason = "max_tokens"
)

// Result of a generation. PromptTokens include the BOS token when the model adds one.
type Result struct {
	PromptTokens []uint32
	OutputTokens []uint32
	// StopToken is the end-of-generation token that ended the output (StopEOS), or
	// tasktypes.NoStopToken when MaxTokens did.
	StopToken uint32
	Text      string
	Duration  time.Duration
	Stop      StopReason
	// Trace is the audit trace of the output (one position per output token plus one for
	// StopToken), recorded from the logits of the generation itself. Empty when the backend
	// does not see the logits (LlamaServer).
	Trace verifytypes.Trace
}

// Errors a Backend returns for bad requests; wrapped with details.
var (
	ErrInvalidRequest   = errors.New("invalid inference request")
	ErrEmptyPrompt      = errors.New("prompt has no tokens")
	ErrPromptTooLong    = errors.New("prompt does not fit in the context")
	ErrContextExceeded  = errors.New("prompt plus max tokens exceeds the context")
	ErrClosed           = errors.New("backend is closed")
	ErrLibraryMismatch  = errors.New("llama.cpp library already loaded from another folder")
	ErrDecode           = errors.New("llama.cpp decode failed")
	ErrUnsupportedVocab = errors.New("vocabulary too large for the sampler")
	// ErrBackend: the inference engine failed or gave an answer that does not hold up
	// (unreachable, non-2xx, malformed or inconsistent response). Transient: retry later.
	ErrBackend = errors.New("inference backend failed")
	// ErrUnsupportedSampling: the backend cannot reproduce the request's sampling exactly
	// (llama-server does not expose the logits the seeded sampler needs). Not transient.
	ErrUnsupportedSampling = errors.New("sampling not supported by this backend")
)

// MaxTemperatureMilli bounds the temperature (100.0) so the fixed-point sampler cannot overflow.
const MaxTemperatureMilli = 100_000

// Validate checks the request fields that do not need the model.
func (r Request) Validate() error {
	if r.MaxTokens <= 0 {
		return fmt.Errorf("%w: max tokens must be positive, got %d", ErrInvalidRequest, r.MaxTokens)
	}
	if r.TemperatureMilli > MaxTemperatureMilli {
		return fmt.Errorf("%w: temperature %d milli above %d", ErrInvalidRequest, r.TemperatureMilli, MaxTemperatureMilli)
	}
	if r.TopPMilli > 1000 {
		return fmt.Errorf("%w: top-p %d milli above 1000", ErrInvalidRequest, r.TopPMilli)
	}
	return nil
}

// SamplerParams returns the sampler settings of the request.
func (r Request) SamplerParams() SamplerParams {
	return SamplerParams{TemperatureMilli: r.TemperatureMilli, TopK: r.TopK, TopPMilli: r.TopPMilli}
}
