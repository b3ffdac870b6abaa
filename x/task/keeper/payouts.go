package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// payouts gathers what job endings pay out of the escrow, so that one bank transfer per
// recipient moves it: the settled jobs' fees, which x/rewards splits fee by fee (so each
// job's split is what a call of its own would make) and moves as sums, and the refunds,
// summed by submitter. A block hook gathers every ending of its block and pays once at its
// end; a message, or x/verify settling or failing an audited job, pays its own at once.
//
// Until pay runs the coins stay in the task account. Nothing that runs in between reads
// the balances they move (x/verify's audit decision and x/provider's bond bookkeeping read
// no balance; other modules run after the hook returns), so every account ends the block
// with the balance that paying each job on its own gave; what changes is the number of
// transfers (5 to 7 per settled job before, now about 5 per block plus one per submitter)
// and their events.
//
// It lives only for one hook or call: the keeper keeps no state outside the store (see
// Keeper.hooks).
type payouts struct {
	fees []rewardstypes.ProviderFee
	// refunds[i] is owed to submitters[i], in the order the submitters first appear.
	submitters []sdk.AccAddress
	refunds    []sdk.Coins
	// bySubmitter: address bytes → index in submitters. Only looked up, never iterated,
	// so the order of the transfers is the order of the endings.
	bySubmitter map[string]int
}

// fee owes a settled job's fee to its provider.
func (p *payouts) fee(provider sdk.AccAddress, fee sdk.Coin) {
	if fee.IsPositive() {
		p.fees = append(p.fees, rewardstypes.ProviderFee{Provider: provider, Fee: sdk.NewCoins(fee)})
	}
}

// refund owes amount back to a job's submitter.
func (p *payouts) refund(submitter sdk.AccAddress, amount sdk.Coin) {
	if !amount.IsPositive() {
		return
	}
	if p.bySubmitter == nil {
		p.bySubmitter = map[string]int{}
	}
	i, ok := p.bySubmitter[string(submitter)]
	if !ok {
		i = len(p.submitters)
		p.bySubmitter[string(submitter)] = i
		p.submitters = append(p.submitters, submitter)
		p.refunds = append(p.refunds, sdk.NewCoins())
	}
	p.refunds[i] = p.refunds[i].Add(amount)
}

// pay moves everything owed out of the escrow: the fees through x/rewards, then each
// submitter's refunds in one transfer. It leaves p empty.
func (k Keeper) pay(ctx context.Context, p *payouts) error {
	if len(p.fees) > 0 {
		if _, err := k.rewards.DistributeFees(ctx, types.ModuleName, p.fees); err != nil {
			return err
		}
	}
	for i, submitter := range p.submitters {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, submitter, p.refunds[i]); err != nil {
			return err
		}
	}
	*p = payouts{}
	return nil
}
