package keeper

import (
	"context"
	"fmt"

	"github.com/sovra-network/sovra/x/verify/types"
)

// CheckInvariants: the module account is empty between blocks (every slash is paid out or
// burned in the call that made it), every open audit is queued at its phase deadline, and
// the stats agree with the audits' verdicts.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	if held := k.bank.GetAllBalances(ctx, k.moduleAddr); !held.IsZero() {
		return fmt.Errorf("verify module account holds %s between blocks", held)
	}
	var passed, failed uint64
	err := k.Audits.Walk(ctx, nil, func(id uint64, a types.Audit) (bool, error) {
		switch a.Status {
		case types.AUDIT_STATUS_PASSED:
			passed++
		case types.AUDIT_STATUS_FAILED:
			failed++
		case types.AUDIT_STATUS_COMMIT, types.AUDIT_STATUS_REVEAL:
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
	if err != nil {
		return err
	}
	s, err := k.stats(ctx)
	if err != nil {
		return err
	}
	if s.Passes != passed || s.Failures != failed {
		return fmt.Errorf("stats count %d passes and %d failures, the audits %d and %d", s.Passes, s.Failures, passed, failed)
	}
	return nil
}
