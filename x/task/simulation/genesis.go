// Package simulation is x/task's part of the app simulation: a random valid genesis
// (params) and weighted message factories for submitters (submit, cancel), providers'
// workers (commit results, computed by x/internal/simworld) and governance (params).
package simulation

import (
	"fmt"
	"math/rand"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/sovra-network/sovra/x/task/types"
)

// RandomParams returns valid params with short deadlines, decision windows and retention,
// so that a few hundred blocks see jobs expire, get decided and be pruned.
func RandomParams(r *rand.Rand) types.Params {
	deadline := uint64(2 + r.Intn(30)) //nolint:gosec // G115: small positive
	return types.Params{
		MaxPromptBytes:        uint64(64 + r.Intn(8*1024)),       //nolint:gosec // G115: small positive
		MaxSealedOutputBytes:  uint64(16*1024 + r.Intn(48*1024)), //nolint:gosec // G115: small positive
		DefaultDeadlineBlocks: deadline,
		MaxDeadlineBlocks:     deadline + uint64(r.Intn(100)), //nolint:gosec // G115: small positive
		DecisionWindow:        uint64(1 + r.Intn(8)),          //nolint:gosec // G115: small positive
		RetentionBlocks:       uint64(1 + r.Intn(200)),        //nolint:gosec // G115: small positive
		MaxResultsPerCommit:   uint32(1 + r.Intn(16)),         //nolint:gosec // G115: small positive
		MaxAssignAttempts:     uint32(1 + r.Intn(16)),         //nolint:gosec // G115: small positive
		MaxOutputTokens:       uint64(1 + r.Intn(256)),        //nolint:gosec // G115: small positive
	}
}

// RandomizedGenState writes a random x/task genesis: params, no jobs.
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand)
	if err := gs.Validate(); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
