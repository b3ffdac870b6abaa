package simulation

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/keeper"
	"github.com/sovra-network/sovra/x/rewards/types"
)

// maxCandidates bounds the accounts the claim factory collects before it picks one.
const maxCandidates = 256

// MsgClaimRewardsFactory claims the pending rewards of an account that has some (a
// provider paid for jobs, a verifier paid for audits). It walks the accruals in key
// order, never a Go map, so a seed replays exactly.
func MsgClaimRewardsFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgClaimRewards] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgClaimRewards) {
		var owed []sdk.AccAddress
		err := k.Accruals.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, string], a types.Accrual) (bool, error) {
			if a.Amount.IsAllPositive() && (len(owed) == 0 || !owed[len(owed)-1].Equals(key.K1())) {
				owed = append(owed, key.K1())
			}
			return len(owed) >= maxCandidates, nil
		})
		if err != nil {
			reporter.Skipf("accruals: %s", err)
			return nil, nil
		}
		if len(owed) == 0 {
			reporter.Skip("nobody has rewards to claim")
			return nil, nil
		}
		acc := testData.GetAccountbyAccAddr(reporter, simsx.OneOf(testData.Rand(), owed))
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{acc}, &types.MsgClaimRewards{Address: acc.AddressBech32}
	}
}

// MsgUpdateParamsFactory proposes a random valid split that keeps at least the current
// verification share, which x/verify's params need (a governance proposal's message).
func MsgUpdateParamsFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    RandomParams(testData.Rand().Rand, params.VerificationShare),
		}
	}
}
