package simulation

import (
	"errors"
	"fmt"
	"strings"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// ChainStats is what a run left on chain: what the Sovra modules did, for the report and
// for tests that a run reached the interesting paths.
type ChainStats struct {
	// Jobs is the number of jobs submitted; JobsByStatus counts the ones not pruned yet
	// in each terminal status (status index).
	Jobs         uint64
	JobsByStatus map[string]uint64
	// Providers by status.
	Providers map[string]int
	Models    int
	Verify    verifytypes.Stats
	Beacon    beacontypes.Stats
	// Validators with a registered VRF key.
	VRFKeys int
}

func (c ChainStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jobs: %d submitted", c.Jobs)
	for _, s := range []tasktypes.JobStatus{
		tasktypes.JOB_STATUS_SETTLED, tasktypes.JOB_STATUS_FAILED, tasktypes.JOB_STATUS_SLASHED,
		tasktypes.JOB_STATUS_CANCELLED, tasktypes.JOB_STATUS_EXPIRED, tasktypes.JOB_STATUS_COMMITTED, tasktypes.JOB_STATUS_AUDITING,
	} {
		fmt.Fprintf(&b, ", %d %s", c.JobsByStatus[s.String()], strings.ToLower(strings.TrimPrefix(s.String(), "JOB_STATUS_")))
	}
	b.WriteString(" (terminal jobs are pruned after retention_blocks)\n")
	fmt.Fprintf(&b, "providers: %d active, %d jailed, %d unbonding; %d models\n",
		c.Providers[providertypes.PROVIDER_STATUS_ACTIVE.String()], c.Providers[providertypes.PROVIDER_STATUS_JAILED.String()],
		c.Providers[providertypes.PROVIDER_STATUS_UNBONDING.String()], c.Models)
	v := c.Verify
	fmt.Fprintf(&b, "audits: %d decisions (%d on weak beacons), %d audits, %d passed, %d failed, %d undecided, %d unverifiable, %d escalations, %d provider and %d verifier slashes\n",
		v.Decisions, v.WeakBeaconDecisions, v.Audits, v.Passes, v.Failures, v.Undecided, v.Unverifiable, v.Escalations, v.ProviderSlashes, v.VerifierSlashes)
	fmt.Fprintf(&b, "beacon: %d VRF heights, %d weak heights, %d validators with a VRF key", c.Beacon.VrfHeights, c.Beacon.WeakHeights, c.VRFKeys)
	return b.String()
}

func chainStats(ctx sdk.Context, a *app.App) (ChainStats, error) {
	c := ChainStats{JobsByStatus: map[string]uint64{}, Providers: map[string]int{}}
	next, err := a.TaskKeeper.NextJobID.Peek(ctx)
	if err != nil {
		return c, err
	}
	c.Jobs = next - 1
	err = a.TaskKeeper.ByStatus.Walk(ctx, nil, func(key collections.Pair[int32, uint64]) (bool, error) {
		c.JobsByStatus[tasktypes.JobStatus(key.K1()).String()]++
		return false, nil
	})
	if err != nil {
		return c, err
	}
	err = a.ProviderKeeper.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p providertypes.Provider) (bool, error) {
		c.Providers[p.Status.String()]++
		return false, nil
	})
	if err != nil {
		return c, err
	}
	err = a.ProviderKeeper.Models.Walk(ctx, nil, func(string, providertypes.Model) (bool, error) {
		c.Models++
		return false, nil
	})
	if err != nil {
		return c, err
	}
	if c.Verify, err = a.VerifyKeeper.Stats.Get(ctx); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return c, err
	}
	if c.Beacon, err = a.BeaconKeeper.GetStats(ctx); err != nil {
		return c, err
	}
	err = a.BeaconKeeper.VRFKeys.Walk(ctx, nil, func(string, beacontypes.VRFKey) (bool, error) {
		c.VRFKeys++
		return false, nil
	})
	return c, err
}
