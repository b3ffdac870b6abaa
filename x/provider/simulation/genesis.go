// Package simulation is x/provider's part of the app simulation: a random valid genesis
// (params and models) and weighted message factories for the operators' messages and the
// governance ones (through proposals).
package simulation

import (
	"encoding/hex"
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/sovra-network/sovra/internal/chattemplate"
	"github.com/sovra-network/sovra/x/provider/types"
)

// Profiles the simulated providers declare (verifiers are drawn across all of them).
var Profiles = []string{types.DefaultProfile, "cpu-x64-f32-sampled-v1", "gpu-sm80-f16-greedy-v1"}

// RandomParams returns valid params: bonds, unbonding and jail periods small enough that a
// few hundred blocks see providers unbond, get jailed and come back.
func RandomParams(r *rand.Rand, bondDenom string) types.Params {
	return types.Params{
		MinBond:         sdk.NewCoin(bondDenom, math.NewInt(1_000+r.Int63n(10_000_000))),
		UnbondingPeriod: uint64(1 + r.Intn(60)), //nolint:gosec // G115: small positive
		MaxMisses:       uint32(1 + r.Intn(5)),  //nolint:gosec // G115: small positive
		JailBlocks:      uint64(1 + r.Intn(50)), //nolint:gosec // G115: small positive
		MaxModels:       uint32(1 + r.Intn(16)), //nolint:gosec // G115: small positive
	}
}

// RandomModel returns a valid model with id: a random file hash, a context of 64 to 4096
// tokens, half of the time its own trace tolerances and, half of the time, a chat
// template. The chat template is picked from the hash's bytes rather than new draws, so
// the random stream, and with it every simulation seed's run, is what it was before the
// field existed.
func RandomModel(r *rand.Rand, id string) types.Model {
	sum := make([]byte, 32)
	r.Read(sum)
	m := types.Model{
		Id:            id,
		Sha256:        hex.EncodeToString(sum),
		ContextLength: uint64(64 + r.Intn(4033)), //nolint:gosec // G115: small positive
		Tokenizer:     "sim-spm",
	}
	if names := chattemplate.Names(); sum[0]&1 == 0 {
		m.ChatTemplate = names[int(sum[1])%len(names)]
	}
	if r.Intn(2) == 0 {
		m.LogprobTolerance = uint32(1 + r.Intn(1<<16))          //nolint:gosec // G115: in (0, 2^16]
		m.MeanLogprobToleranceMilli = uint32(1 + r.Intn(1<<26)) //nolint:gosec // G115: in (0, 2^26]
		m.MarginTolerance = uint32(1 + r.Intn(1<<16))           //nolint:gosec // G115: in (0, 2^16]
		m.IntervalTolerance = uint32(1 + r.Int63n(1<<31))       //nolint:gosec // G115: in (0, 2^31]
	}
	return m
}

// RandomizedGenState writes a random x/provider genesis: params and one to four models.
// Providers are not in genesis: they register by message, as on a new chain.
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	gs := types.GenesisState{Params: RandomParams(r, simState.BondDenom)}
	for i := range 1 + r.Intn(4) {
		gs.Models = append(gs.Models, RandomModel(r, fmt.Sprintf("sim-model-%d", i)))
	}
	if err := gs.Validate(); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(&gs)
}
