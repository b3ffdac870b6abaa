package simulation

import (
	"context"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// MsgRegisterVRFKeyFactory registers, from its operator's account, the VRF key of a
// validator that has none: one created by the staking simulation (MsgCreateValidator),
// whose consensus key is its operator account's. The proof of possession is over this
// chain's id. Accounts are scanned in the simulation's order, never a Go map's.
func MsgRegisterVRFKeyFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterVRFKey] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterVRFKey) {
		var candidates []simsx.SimAccount
		for i := range testData.AccountsCount() {
			acc := testData.AccountAt(reporter, i)
			if acc.ConsKey == nil {
				continue
			}
			info, err := k.ProposerKey(ctx, sdk.GetConsAddress(acc.ConsKey.PubKey()))
			if err != nil {
				reporter.Skipf("validator of %s: %s", acc.AddressBech32, err)
				return nil, nil
			}
			if info.Valoper == "" || info.HasKey || info.Valoper != sdk.ValAddress(acc.Address).String() {
				continue
			}
			candidates = append(candidates, acc)
		}
		if len(candidates) == 0 {
			reporter.Skip("every simulated validator has a VRF key")
			return nil, nil
		}
		acc := simsx.OneOf(testData.Rand(), candidates)
		valoper := sdk.ValAddress(acc.Address).String()
		key := VRFKey(acc.Account)
		proof, _ := key.Prove(vrf.PossessionInput(keeper.ChainID(sdk.UnwrapSDKContext(ctx)), valoper))
		return []simsx.SimAccount{acc}, &types.MsgRegisterVRFKey{Operator: acc.AddressBech32, PubKey: key.PubKey(), Proof: proof}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance proposal's message).
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    RandomParams(testData.Rand().Rand),
		}
	}
}
