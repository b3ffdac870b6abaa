package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, "0.800000000000000000", p.ProviderShare.String())
	require.Equal(t, "0.100000000000000000", p.VerificationShare.String())
	require.Equal(t, "0.050000000000000000", p.ValidatorShare.String())
	require.Equal(t, "0.050000000000000000", p.CommunityShare.String())
	require.True(t, p.BurnShare.IsZero())
}

func TestParamsValidate(t *testing.T) {
	d := math.LegacyMustNewDecFromStr
	mk := func(pr, v, val, c, b string) types.Params {
		return types.Params{ProviderShare: d(pr), VerificationShare: d(v), ValidatorShare: d(val), CommunityShare: d(c), BurnShare: d(b)}
	}
	cases := []struct {
		name    string
		p       types.Params
		wantErr string // "" means valid
	}{
		{"default", types.DefaultParams(), ""},
		{"all to provider", mk("1", "0", "0", "0", "0"), ""},
		{"with burn", mk("0.5", "0.2", "0.1", "0.1", "0.1"), ""},
		{"sum above 1", mk("0.8", "0.1", "0.05", "0.05", "0.05"), "got 1.050000000000000000"},
		{"sum below 1", mk("0.8", "0.1", "0.05", "0", "0"), "got 0.950000000000000000"},
		{"sum off by 1e-18", mk("0.8", "0.1", "0.05", "0.05", "0.000000000000000001"), "got 1.000000000000000001"},
		{"negative share", mk("0.9", "0.15", "0.05", "-0.1", "0"), "community_share must not be negative"},
		{"share above 1, sum 1", mk("0.1", "1.2", "0", "0", "-0.3"), "verification_share must be at most 1"},
		{"provider above 1", mk("1.1", "0", "0", "0", "0"), "provider_share must be at most 1"},
		{"zero provider", mk("0", "1", "0", "0", "0"), "provider_share must be positive"},
		{"unset share", types.Params{ProviderShare: d("1"), VerificationShare: d("0"), ValidatorShare: d("0"), CommunityShare: d("0")}, "burn_share is not set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidParams)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
