package types

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// MinSaltLen is the shortest salt a result commitment accepts: enough that the committed
// output cannot be guessed from the commitment.
const MinSaltLen = 16

// BuildResult hashes, commits and seals a result: the output hash of the claimed tokens,
// the commitment to it and to the trace hash under salt (a random 32-byte one when salt is
// nil), and the output sealed to the submitter. It returns the result, the output hash and
// the salt.
func BuildResult(job Job, modelSHA256Hex string, c Claimed, text []byte, traceHash [32]byte, salt []byte) (JobResult, [32]byte, []byte, error) {
	modelHash, err := hex.DecodeString(modelSHA256Hex)
	if err != nil {
		return JobResult{}, [32]byte{}, nil, fmt.Errorf("model %s has a malformed sha256: %w", job.ModelId, err)
	}
	if salt == nil {
		salt = make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return JobResult{}, [32]byte{}, nil, err
		}
	} else if len(salt) < MinSaltLen {
		return JobResult{}, [32]byte{}, nil, fmt.Errorf("salt must be at least %d bytes, got %d", MinSaltLen, len(salt))
	}
	hash := OutputHash(modelHash, job.Id, job.Sampling, c)
	sealed, err := Seal(job.OutputKey, SealedPayload{Text: text, OutputTokens: c.OutputTokens, PromptTokens: c.PromptTokens})
	if err != nil {
		return JobResult{}, [32]byte{}, nil, err
	}
	return JobResult{
		JobId:        job.Id,
		Commitment:   Commitment(hash, traceHash, salt),
		PromptTokens: uint64(len(c.PromptTokens)),
		OutputTokens: uint64(len(c.OutputTokens)),
		SealedOutput: sealed,
	}, hash, salt, nil
}
