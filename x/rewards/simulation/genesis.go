// Package simulation is x/rewards' part of the app simulation: a random valid fee split in
// genesis, and weighted message factories for claims and governance (params).
package simulation

import (
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// RandomParams returns a valid split, in hundredths: a verification share of at least
// minVerification (and 0.05), a positive provider share, the rest at random among
// validators, community and burn; the five sum to exactly 1.
func RandomParams(r *rand.Rand, minVerification math.LegacyDec) types.Params {
	lo := max(5, int(minVerification.MulInt64(100).Ceil().TruncateInt64()))
	verification := min(lo+r.Intn(max(91-lo, 1)), 95) // leaves at least 5 for the provider
	rest := 100 - verification
	provider := 1 + r.Intn(rest)
	rest -= provider
	validator := r.Intn(rest + 1)
	rest -= validator
	community := r.Intn(rest + 1)
	burn := rest - community
	pct := func(n int) math.LegacyDec { return math.LegacyNewDecWithPrec(int64(n), 2) }
	return types.Params{
		ProviderShare: pct(provider), VerificationShare: pct(verification),
		ValidatorShare: pct(validator), CommunityShare: pct(community), BurnShare: pct(burn),
	}
}

// RandomizedGenState writes a random x/rewards genesis: a split, no accruals.
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand, math.LegacyZeroDec())
	if err := gs.Validate(); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
