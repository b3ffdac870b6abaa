package simulation

import (
	"context"
	"errors"
	"strings"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// msgVoteYesOnSovraFactory backs a Sovra proposal (params, models) in its voting period:
// the largest bonded validators, two thirds of the stake, vote yes: one now, the others
// in the next block. The SDK's gov simulation votes with random accounts and
// options, and schedules votes for 1 % of its proposals only, so its proposals all but
// never pass; with the validators' stake behind them, Sovra's governance messages are
// executed by gov's EndBlocker and change the chain mid-run (unless random votes veto).
// backed remembers the proposals already backed (looked up only, never iterated).
func msgVoteYesOnSovraFactory(gk *govkeeper.Keeper, sk *stakingkeeper.Keeper) simsx.SimMsgFactoryX {
	backed := map[uint64]bool{}
	return simsx.NewSimMsgFactoryWithFutureOps(func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter,
		future simsx.FutureOpsRegistry,
	) ([]simsx.SimAccount, *govv1.MsgVote) {
		var ids []uint64
		err := gk.VotingPeriodProposals.Walk(ctx, nil, func(id uint64, _ []byte) (bool, error) {
			p, err := gk.Proposals.Get(ctx, id)
			if err != nil {
				return true, err
			}
			if !backed[id] && len(p.Messages) > 0 && strings.HasPrefix(p.Messages[0].TypeUrl, "/sovra.") {
				ids = append(ids, id)
			}
			return false, nil
		})
		if err != nil {
			reporter.Skipf("proposals: %s", err)
			return nil, nil
		}
		if len(ids) == 0 {
			reporter.Skip("no Sovra proposal to back in its voting period")
			return nil, nil
		}
		// The largest validators, until they hold two thirds of the bonded tokens.
		total := math.ZeroInt()
		err = sk.IterateBondedValidatorsByPower(ctx, func(_ int64, v stakingtypes.ValidatorI) bool {
			total = total.Add(v.GetTokens())
			return false
		})
		if err != nil {
			reporter.Skipf("bonded validators: %s", err)
			return nil, nil
		}
		var voters []simsx.SimAccount
		backing := math.ZeroInt()
		err = sk.IterateBondedValidatorsByPower(ctx, func(_ int64, v stakingtypes.ValidatorI) bool {
			bz, err := sk.ValidatorAddressCodec().StringToBytes(v.GetOperator())
			if err == nil && testData.HasAccount(sdk.AccAddress(bz).String()) {
				voters = append(voters, testData.GetAccountbyAccAddr(reporter, bz))
				backing = backing.Add(v.GetTokens())
			}
			return backing.MulRaw(3).GT(total.MulRaw(2))
		})
		if err != nil || len(voters) == 0 {
			reporter.Skip("no bonded validator run by a simulated account")
			return nil, nil
		}
		id := simsx.OneOf(testData.Rand(), ids)
		backed[id] = true
		next := simsx.BlockTime(ctx).Add(time.Second)
		for _, v := range voters[1:] {
			future.Add(next, voteYes(gk, v.Address, id))
		}
		return []simsx.SimAccount{voters[0]}, govv1.NewMsgVote(voters[0].Address, id, govv1.OptionYes, "")
	})
}

// voteYes is voter's yes on proposal id, while it is in its voting period.
func voteYes(gk *govkeeper.Keeper, voter sdk.AccAddress, id uint64) simsx.SimMsgFactoryFn[*govv1.MsgVote] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *govv1.MsgVote) {
		p, err := gk.Proposals.Get(ctx, id)
		switch {
		case errors.Is(err, collections.ErrNotFound):
			reporter.Skip("proposal gone")
			return nil, nil
		case err != nil:
			reporter.Skipf("proposal %d: %s", id, err)
			return nil, nil
		case p.Status != govv1.StatusVotingPeriod:
			reporter.Skip("proposal not in its voting period")
			return nil, nil
		}
		acc := testData.GetAccountbyAccAddr(reporter, voter)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{acc}, govv1.NewMsgVote(voter, id, govv1.OptionYes, "")
	}
}
