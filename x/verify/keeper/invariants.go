package keeper

import (
	"context"
	"fmt"

	"github.com/sovra-network/sovra/x/verify/types"
)

// CheckInvariants: the module account is empty between blocks (every slash is paid out or
// burned in the call that made it), and every open audit is queued at its phase deadline.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	if held := k.bank.GetAllBalances(ctx, k.moduleAddr); !held.IsZero() {
		return fmt.Errorf("verify module account holds %s between blocks", held)
	}
	return k.Audits.Walk(ctx, nil, func(id uint64, a types.Audit) (bool, error) {
		switch {
		case a.Status.IsOpen():
			ok, err := k.PhaseQueue.Has(ctx, joinHeight(a.PhaseDeadline, id))
			if err != nil {
				return true, err
			}
			if !ok {
				return true, fmt.Errorf("open audit of job %d is not queued at its deadline %d", id, a.PhaseDeadline)
			}
		}
		return false, nil
	})
}

// CheckIndexes is the index invariant: it rebuilds from the audits every entry
// auditIndexes keeps (the verifier, provider and status indexes and the phase queue) and
// compares them with the stored ones, and checks that the prune queue holds exactly one
// entry for each ended audit. It walks every audit: for invariant checks and tests.
func (k Keeper) CheckIndexes(ctx context.Context) error {
	if err := k.indexes.check(ctx, k.Audits); err != nil {
		return types.ErrInvariantBroken.Wrap(err.Error())
	}
	return nil
}
