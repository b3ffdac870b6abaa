package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func testAddr(i byte) string {
	a := make([]byte, 20)
	a[19] = i
	return sdk.AccAddress(a).String()
}

func TestGenesisValidate(t *testing.T) {
	one := sdk.NewCoins(sdk.NewInt64Coin("stake", 1))
	ok := types.Accrual{Address: testAddr(1), Source: types.SourceJobs, Amount: one}
	badParams := types.DefaultParams()
	badParams.BurnShare = math.LegacyMustNewDecFromStr("0.1")

	cases := []struct {
		name     string
		params   types.Params
		accruals []types.Accrual
		valid    bool
	}{
		{"default", types.DefaultParams(), nil, true},
		{"one accrual per source", types.DefaultParams(), []types.Accrual{ok, {Address: testAddr(1), Source: types.SourceAudits, Amount: one}}, true},
		{"bad params", badParams, nil, false},
		{"duplicate accrual", types.DefaultParams(), []types.Accrual{ok, ok}, false},
		{"duplicate in upper case", types.DefaultParams(), []types.Accrual{ok, {Address: strings.ToUpper(ok.Address), Source: ok.Source, Amount: one}}, false},
		{"unknown source", types.DefaultParams(), []types.Accrual{{Address: testAddr(1), Source: "tips", Amount: one}}, false},
		{"bad address", types.DefaultParams(), []types.Accrual{{Address: "sovra1bad", Source: types.SourceJobs, Amount: one}}, false},
		{"zero amount", types.DefaultParams(), []types.Accrual{{Address: testAddr(1), Source: types.SourceJobs, Amount: sdk.NewCoins()}}, false},
		{"invalid coins", types.DefaultParams(), []types.Accrual{{
			Address: testAddr(1), Source: types.SourceJobs,
			Amount: sdk.Coins{sdk.NewInt64Coin("zzz", 1), sdk.NewInt64Coin("aaa", 1)},
		}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := types.GenesisState{Params: tc.params, Accruals: tc.accruals}.Validate()
			if tc.valid {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
	require.NoError(t, types.DefaultGenesis().Validate())
}

func TestMsgValidateBasic(t *testing.T) {
	require.NoError(t, (&types.MsgClaimRewards{Address: testAddr(1)}).ValidateBasic())
	require.Error(t, (&types.MsgClaimRewards{Address: ""}).ValidateBasic())
	require.Error(t, (&types.MsgClaimRewards{Address: "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"}).ValidateBasic())

	require.NoError(t, (&types.MsgUpdateParams{Authority: testAddr(2), Params: types.DefaultParams()}).ValidateBasic())
	require.Error(t, (&types.MsgUpdateParams{Authority: "x", Params: types.DefaultParams()}).ValidateBasic())
	bad := types.DefaultParams()
	bad.ProviderShare = math.LegacyMustNewDecFromStr("0.9")
	require.ErrorIs(t, (&types.MsgUpdateParams{Authority: testAddr(2), Params: bad}).ValidateBasic(), types.ErrInvalidParams)
}
