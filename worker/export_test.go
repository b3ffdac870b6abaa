package worker

import (
	"context"

	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Hooks are the seams of a dishonest worker, for the end-to-end tests (package worker_test)
// with the attacks of testutil/attack. They exist in test builds only: the shipped worker's
// Options have none.
type Hooks struct {
	// Tamper, when set, changes a result before it is hashed and committed (a cheating
	// provider: attack.CheatOnFraction).
	Tamper func(job tasktypes.Job, out inference.Result) inference.Result
	// Verify computes a verifier's verification (HonestVerify when nil; a lazy, copying or
	// griefing verifier: attack.LazyVerify, CopyVerify, GriefingVerify).
	Verify VerifyFunc
}

// NewWithHooks is New for a worker with hooks.
func NewWithHooks(ctx context.Context, cfg *config.Config, opts Options, h Hooks) (*Worker, error) {
	return newWorker(ctx, cfg, opts, hooks{verify: h.Verify, tamper: h.Tamper})
}
