package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// OpenEscrow sums max_fee over every job that still holds escrow. It walks every job:
// for invariant checks and tests, not for transactions.
func (k Keeper) OpenEscrow(ctx context.Context) (sdk.Coins, error) {
	total := sdk.NewCoins()
	err := k.Jobs.Walk(ctx, nil, func(_ uint64, job types.Job) (bool, error) {
		for _, st := range types.OpenStatuses {
			if job.Status == st {
				total = total.Add(job.MaxFee)
			}
		}
		return false, nil
	})
	return total, err
}

// CheckIndexes is the index invariant: it rebuilds from the jobs (and the assignment
// cursor, below which a pending job is waiting) the entries jobIndexes keeps (the
// submitter, provider and status indexes, the waiting set and counts, the deadline and
// decision queues) and compares them with the stored ones. It walks every job: for
// invariant checks and tests.
func (k Keeper) CheckIndexes(ctx context.Context) error {
	cursor, err := k.AssignCursor.Peek(ctx)
	if err != nil {
		return err
	}
	if err := k.indexes.check(ctx, k.Jobs, cursor); err != nil {
		return types.ErrInvariantBroken.Wrap(err.Error())
	}
	return nil
}

// CheckEscrow is the module invariant: the escrow account holds exactly the open escrows.
func (k Keeper) CheckEscrow(ctx context.Context) error {
	want, err := k.OpenEscrow(ctx)
	if err != nil {
		return err
	}
	addr := k.ModuleAddress()
	for _, c := range want {
		if got := k.bank.GetBalance(ctx, addr, c.Denom); !got.Equal(c) {
			return fmt.Errorf("task escrow: module account holds %s, open jobs escrow %s", got, c)
		}
	}
	if want.IsZero() {
		if denom, err := k.provider.BondDenom(ctx); err == nil {
			if got := k.bank.GetBalance(ctx, addr, denom); !got.IsZero() {
				return fmt.Errorf("task escrow: module account holds %s with no open jobs", got)
			}
		}
	}
	return nil
}
