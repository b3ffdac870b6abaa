package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

func TestRegisterMsgFromFlags(t *testing.T) {
	sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub")
	op := sdk.AccAddress(make([]byte, 20))
	worker := sdk.AccAddress(append(make([]byte, 19), 1))

	cmd := NewRegisterProviderCmd()
	require.NoError(t, cmd.ParseFlags([]string{
		"--models", "llama-7b, tiny", "--bond", "2000000usovra", "--price-per-token", "3usovra",
		"--worker", worker.String(), "--endpoint", "https://x.org", "--max-jobs", "8", "--hardware", "RTX 4090",
	}))
	msg, err := registerMsgFromFlags(cmd, op)
	require.NoError(t, err)
	require.Equal(t, &types.MsgRegisterProvider{
		Operator: op.String(), Worker: worker.String(), Models: []string{"llama-7b", "tiny"},
		Bond: sdk.NewInt64Coin("usovra", 2_000_000), PricePerToken: sdk.NewInt64Coin("usovra", 3),
		Profile: types.DefaultProfile, Endpoint: "https://x.org", Hardware: "RTX 4090", MaxJobs: 8,
	}, msg)
	require.NoError(t, msg.ValidateBasic())

	// The worker defaults to the operator.
	cmd = NewRegisterProviderCmd()
	require.NoError(t, cmd.ParseFlags([]string{"--models", "m", "--bond", "1usovra", "--price-per-token", "1usovra"}))
	msg, err = registerMsgFromFlags(cmd, op)
	require.NoError(t, err)
	require.Equal(t, op.String(), msg.Worker)

	cmd = NewRegisterProviderCmd()
	require.NoError(t, cmd.ParseFlags([]string{"--models", "m", "--bond", "lots", "--price-per-token", "1usovra"}))
	_, err = registerMsgFromFlags(cmd, op)
	require.ErrorContains(t, err, "--bond")
	_, err = registerMsgFromFlags(cmd, nil)
	require.ErrorContains(t, err, "--from")
}
