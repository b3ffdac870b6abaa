package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// OpenEscrow sums max_fee over every job that still holds escrow.
func (k Keeper) OpenEscrow(ctx context.Context) (sdk.Coins, error) {
	total := sdk.NewCoins()
	for _, st := range types.OpenStatuses {
		ids, err := k.jobIDs(ctx, st)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			job, err := k.Jobs.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			total = total.Add(job.MaxFee)
		}
	}
	return total, nil
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
