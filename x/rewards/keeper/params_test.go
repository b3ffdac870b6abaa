package keeper_test

import (
	"context"
	"testing"

	"github.com/cosmos/cosmos-sdk/runtime"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/keeper"
	"github.com/sovra-network/sovra/x/rewards/types"
)

func accrualKey(a sdk.AccAddress, source string) collections.Pair[sdk.AccAddress, string] {
	return collections.Join(a, source)
}

func TestUpdateParams(t *testing.T) {
	valid := types.Params{
		ProviderShare: dec("0.7"), VerificationShare: dec("0.2"), ValidatorShare: dec("0.05"),
		CommunityShare: dec("0"), BurnShare: dec("0.05"),
	}
	invalid := valid
	invalid.BurnShare = dec("0.06")

	cases := []struct {
		name      string
		authority func(f *fixture) string
		params    types.Params
		wantErr   error
	}{
		{"not the authority", func(*fixture) string { return addr(1).String() }, valid, types.ErrInvalidAuthority},
		{"malformed authority", func(*fixture) string { return "gov" }, valid, nil},
		{"shares do not sum to 1", func(f *fixture) string { return f.authority }, invalid, types.ErrInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: tc.authority(f), Params: tc.params})
			require.Error(t, err)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
			got, err := f.k.Params.Get(f.ctx)
			require.NoError(t, err)
			require.Equal(t, types.DefaultParams(), got)
		})
	}

	f := setup(t)
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: valid})
	require.NoError(t, err)
	got, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, valid, got)
}

// floorHooks is a fake x/verify: the least verification_share UpdateParams accepts.
type floorHooks struct{ min math.LegacyDec }

func (h floorHooks) MinVerificationShare(context.Context) (math.LegacyDec, error) { return h.min, nil }

// TestUpdateParamsVerificationHooks: a keeper built with VerificationHooks refuses a
// verification_share below their floor and accepts one at it; the keeper without hooks
// (setup's) accepts any valid split.
func TestUpdateParamsVerificationHooks(t *testing.T) {
	f := setup(t)
	k := keeper.NewKeeper(f.cdc, f.storeService, runtime.EventService{}, f.ac, f.authority, fakeAccountKeeper{}, f.bank, f.distr,
		floorHooks{min: dec("0.2")})
	ms := keeper.NewMsgServerImpl(k)
	low := types.Params{
		ProviderShare: dec("0.8"), VerificationShare: dec("0.1"), ValidatorShare: dec("0.05"),
		CommunityShare: dec("0"), BurnShare: dec("0.05"),
	}
	_, err := ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: low})
	require.ErrorIs(t, err, types.ErrInvalidParams)
	at := low
	at.ProviderShare, at.VerificationShare = dec("0.7"), dec("0.2")
	_, err = ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: at})
	require.NoError(t, err)
	// Both keepers read the same store.
	got, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, at, got)
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: low})
	require.NoError(t, err)
}
