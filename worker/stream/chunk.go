// Package stream serves a job's output tokens while the worker generates them, and reads
// them: the worker's public stream endpoint (Hub, Server) and its client (Subscribe).
//
// Every chunk of tokens is sealed to the job's on-chain output key (an anonymous NaCl box,
// as the committed output), so anyone may subscribe and only the submitter can read; the
// stream is a preview, the output committed on chain is what counts. The wire format is
// in worker/README.md.
package stream

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Chunk is consecutive output tokens of a job, the plaintext of a chunk event.
type Chunk struct {
	// Index is the position of Tokens[0] in the job's output (0 for the first token).
	Index int `json:"index"`
	// Tokens are the token ids, as they will be committed.
	Tokens []uint32 `json:"tokens"`
	// Text is the bytes the tokens add to the output's text (base64 in JSON, as
	// x/task/types.SealedPayload.Text: a chunk can end inside a UTF-8 character).
	Text []byte `json:"text"`
}

// End is the data of an end event: the output is complete.
type End struct {
	// Tokens is the number of output tokens (the stop token not counted).
	Tokens int `json:"tokens"`
	// Stop is StopEOS or StopMaxTokens.
	Stop string `json:"stop"`
}

// Why an output ended, in End.Stop.
const (
	StopEOS       = "eos"        // the model produced its end-of-generation token
	StopMaxTokens = "max_tokens" // the job's max output tokens were produced
)

// Event names on the wire (the SSE "event:" field).
const (
	EventChunk = "chunk"
	EventReset = "reset"
	EventEnd   = "end"
	EventError = "error"
)

// ErrUnreadable: a chunk that the key pair cannot open (not sealed to it) or that is
// not a valid Chunk.
var ErrUnreadable = errors.New("stream chunk cannot be read with this key")

// SealChunk encrypts a chunk to the recipient's X25519 key (the job's output key) with an
// anonymous NaCl box, as x/task/types.Seal seals the committed output.
func SealChunk(recipient []byte, c Chunk) ([]byte, error) {
	if len(recipient) != tasktypes.OutputKeySize {
		return nil, fmt.Errorf("output key must be %d bytes, got %d", tasktypes.OutputKeySize, len(recipient))
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var pub [32]byte
	copy(pub[:], recipient)
	return box.SealAnonymous(nil, plain, &pub, rand.Reader)
}

// OpenChunk decrypts a sealed chunk with the recipient's key pair.
func OpenChunk(sealed []byte, pub, priv *[32]byte) (Chunk, error) {
	plain, ok := box.OpenAnonymous(nil, sealed, pub, priv)
	if !ok {
		return Chunk{}, fmt.Errorf("%w: it was not sealed to this key", ErrUnreadable)
	}
	var c Chunk
	if err := json.Unmarshal(plain, &c); err != nil {
		return Chunk{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if c.Index < 0 || len(c.Tokens) == 0 {
		return Chunk{}, fmt.Errorf("%w: chunk at index %d with %d tokens", ErrUnreadable, c.Index, len(c.Tokens))
	}
	return c, nil
}
