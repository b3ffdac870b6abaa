//go:build sovra_testupgrade

package keeper

import (
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// Migrate1to2 is the test upgrade's migration (app/upgrades.TestUpgradeName, build tag
// sovra_testupgrade): from now on the community share is burned. burn_share gains
// community_share, which becomes 0, so the five shares still sum to 1 and
// verification_share (x/verify's floor) does not move: any valid params stay valid.
// Accruals and the pools are untouched.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	p, err := m.keeper.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("x/%s migration 1 -> 2: read params: %w", types.ModuleName, err)
	}
	p.BurnShare = p.BurnShare.Add(p.CommunityShare)
	p.CommunityShare = math.LegacyZeroDec()
	if err := p.Validate(); err != nil {
		return fmt.Errorf("x/%s migration 1 -> 2: %w", types.ModuleName, err)
	}
	if err := m.keeper.Params.Set(ctx, p); err != nil {
		return err
	}
	return m.keeper.emit(ctx, &types.EventParamsUpdated{Params: p})
}
