package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

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
