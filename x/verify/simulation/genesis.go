// Package simulation is x/verify's part of the app simulation: a random valid genesis
// (params that the rewards genesis' verification share can pay for) and weighted message
// factories for every party of an audit (the provider opens, discloses and reveals; the
// drawn verifiers commit or complain, then reveal), with the numbers of
// x/internal/simworld, and governance (params).
package simulation

import (
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/module"

	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// percent is n/100.
func percent(n int) math.LegacyDec { return math.LegacyNewDecWithPrec(int64(n), 2) }

// RandomParams returns valid params whose audit_rate × verifiers_per_audit the
// verification share can pay for (share ≥ 0.05): audit rates up to 0.95, short phases, and
// tolerances from the x/verify default down to 1.
func RandomParams(r *rand.Rand, verificationShare math.LegacyDec) types.Params {
	p := types.DefaultParams()
	p.VerifiersPerAudit = uint32(1 + r.Intn(3)) //nolint:gosec // G115: small positive
	for p.VerifiersPerAudit > 1 && percent(5).MulInt64(int64(p.VerifiersPerAudit)).GT(verificationShare) {
		p.VerifiersPerAudit--
	}
	// audit_rate in [0.05, min(0.95, share / verifiers)], in hundredths.
	hi := min(95, int(verificationShare.QuoInt64(int64(p.VerifiersPerAudit)).MulInt64(100).TruncateInt64()))
	p.AuditRate = percent(5 + r.Intn(max(hi-4, 1)))
	p.EscalationK = uint32(2 + r.Intn(3))       //nolint:gosec // G115: small positive
	p.OpenPhaseBlocks = uint64(1 + r.Intn(6))   //nolint:gosec // G115: small positive
	p.CommitPhaseBlocks = uint64(1 + r.Intn(6)) //nolint:gosec // G115: small positive
	p.RevealPhaseBlocks = uint64(1 + r.Intn(6)) //nolint:gosec // G115: small positive
	p.ProviderSlashFraction = percent(r.Intn(101))
	p.VerifierSlashFraction = percent(r.Intn(11))
	p.BountyFraction = percent(r.Intn(101))
	// audit_rate × collateral_multiplier ≥ 1.
	minMult := math.LegacyOneDec().Quo(p.AuditRate).Ceil().TruncateInt64()
	p.CollateralMultiplier = uint64(minMult + r.Int63n(10)) //nolint:gosec // G115: small positive
	if r.Intn(2) == 0 {
		p.LogprobTolerance = uint32(1 + r.Intn(64*types.TraceScale))                   //nolint:gosec // G115: in the param's bounds
		p.MeanLogprobToleranceMilli = uint32(1 + r.Intn(1000*int(p.LogprobTolerance))) //nolint:gosec // G115: at most 1000 × 2^16
		p.MarginTolerance = uint32(1 + r.Intn(64*types.TraceScale))                    //nolint:gosec // G115: in the param's bounds
		p.IntervalTolerance = uint32(1 + r.Int63n(1<<31))                              //nolint:gosec // G115: in (0, 2^31]
	}
	return p
}

// RandomizedGenState writes a random x/verify genesis: params that the verification share
// of the (already generated) rewards genesis can pay for.
func RandomizedGenState(simState *module.SimulationState) {
	share := rewardstypes.DefaultParams().VerificationShare
	if bz, ok := simState.GenState[rewardstypes.ModuleName]; ok {
		var rg rewardstypes.GenesisState
		simState.Cdc.MustUnmarshalJSON(bz, &rg)
		share = rg.Params.VerificationShare
	}
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand, share)
	if err := gs.Validate(); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	if err := gs.Params.ValidateVerificationShare(share); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
