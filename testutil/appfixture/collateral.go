package appfixture

import (
	"fmt"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// CheckCollateral checks, across x/provider, x/task and x/verify, that every provider's
// lock is exactly the collateral of its open jobs plus its stakes as a drawn verifier of
// open audits, that the bond backs it (a slash never leaves open work unbacked), that its
// active jobs are its assigned jobs (a slot frees at commit), and that its open-audit
// counter is the number of open audits it is party to. It walks the open
// jobs (deadline queue and status index) and open audits only.
func (f *Fixture) CheckCollateral() error { return CheckCollateral(f.Ctx(), f.App) }

// CheckCollateral is Fixture.CheckCollateral on any app's state (the app simulation's too).
func CheckCollateral(ctx sdk.Context, a *app.App) error {
	locked := map[string]sdkmath.Int{}
	audits := map[string]uint32{}
	slots := map[string]uint32{} // assigned jobs: a committed job's slot is free again
	add := func(op string, amt sdkmath.Int) {
		if cur, ok := locked[op]; ok {
			locked[op] = cur.Add(amt)
		} else {
			locked[op] = amt
		}
	}
	tk := a.TaskKeeper
	// ASSIGNED jobs are not in the status index: each is in the deadline queue.
	err := tk.DeadlineQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		j, err := tk.Jobs.Get(ctx, key.K2())
		if err != nil {
			return true, err
		}
		if j.Status == tasktypes.JOB_STATUS_ASSIGNED {
			add(j.Provider, j.Collateral)
			slots[j.Provider]++
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, s := range []tasktypes.JobStatus{tasktypes.JOB_STATUS_COMMITTED, tasktypes.JOB_STATUS_AUDITING} {
		err := tk.ByStatus.Walk(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(s)), func(key collections.Pair[int32, uint64]) (bool, error) {
			j, err := tk.Jobs.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			add(j.Provider, j.Collateral)
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	vk := a.VerifyKeeper
	for _, s := range []verifytypes.AuditStatus{
		verifytypes.AUDIT_STATUS_OPEN, verifytypes.AUDIT_STATUS_COMMIT,
		verifytypes.AUDIT_STATUS_REVEAL, verifytypes.AUDIT_STATUS_ESCALATING,
	} {
		err := vk.ByStatus.Walk(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(s)), func(key collections.Pair[int32, uint64]) (bool, error) {
			a, err := vk.Audits.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			audits[a.Provider]++
			for _, v := range a.Verifiers {
				audits[v.Operator]++
				add(v.Operator, v.Stake)
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return a.ProviderKeeper.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p providertypes.Provider) (bool, error) {
		want, ok := locked[p.Operator]
		if !ok {
			want = sdkmath.ZeroInt()
		}
		switch {
		case !p.LockedAmount().Equal(want):
			return true, fmt.Errorf("provider %s locks %s, its open jobs and audit stakes add up to %s", p.Operator, p.LockedAmount(), want)
		case p.LockedAmount().GT(p.Bond.Amount):
			return true, fmt.Errorf("provider %s locks %s with a bond of %s: open work is not backed", p.Operator, p.LockedAmount(), p.Bond)
		case p.ActiveJobs != slots[p.Operator]:
			return true, fmt.Errorf("provider %s counts %d active jobs, holds %d assigned jobs", p.Operator, p.ActiveJobs, slots[p.Operator])
		case p.OpenAudits != audits[p.Operator]:
			return true, fmt.Errorf("provider %s counts %d open audits, is party to %d", p.Operator, p.OpenAudits, audits[p.Operator])
		}
		return false, nil
	})
}
