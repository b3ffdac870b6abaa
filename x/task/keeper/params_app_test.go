package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestUpdateParamsAuthority: only the gov module account changes the params; anyone
// else is answered with x/task's own ErrInvalidAuthority and nothing changes.
func TestUpdateParamsAuthority(t *testing.T) {
	f := newFixture(t, 3)
	ms := keeper.NewMsgServerImpl(f.App.TaskKeeper)
	before, err := f.App.TaskKeeper.Params.Get(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	changed := before
	changed.RetentionBlocks++

	ctx := f.Ctx()
	_, err = ms.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.Accounts["alice"].Address.String(), Params: changed})
	if !types.ErrInvalidAuthority.Is(err) {
		t.Fatalf("update by alice: %v, want ErrInvalidAuthority", err)
	}
	if got, _ := f.App.TaskKeeper.Params.Get(ctx); got.RetentionBlocks != before.RetentionBlocks {
		t.Fatal("params changed by a non-authority")
	}
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	if _, err := ms.UpdateParams(ctx, &types.MsgUpdateParams{Authority: gov, Params: changed}); err != nil {
		t.Fatalf("update by gov: %v", err)
	}
	if got, _ := f.App.TaskKeeper.Params.Get(ctx); got.RetentionBlocks != changed.RetentionBlocks {
		t.Fatal("gov's update not stored")
	}
}
