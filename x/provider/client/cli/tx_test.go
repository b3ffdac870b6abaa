package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app/params"
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
	msg, err := registerMsgFromFlags(cmd, op, worker)
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
	msg, err = registerMsgFromFlags(cmd, op, nil)
	require.NoError(t, err)
	require.Equal(t, op.String(), msg.Worker)

	cmd = NewRegisterProviderCmd()
	require.NoError(t, cmd.ParseFlags([]string{"--models", "m", "--bond", "lots", "--price-per-token", "1usovra"}))
	_, err = registerMsgFromFlags(cmd, op, nil)
	require.ErrorContains(t, err, "--bond")
	_, err = registerMsgFromFlags(cmd, nil, nil)
	require.ErrorContains(t, err, "--from")
}

// The worker is a key name or an address; the keyring's key co-signs unless the worker is
// the operator; an address without a key in the keyring is a worker kept elsewhere.
func TestResolveWorker(t *testing.T) {
	sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub")
	kr := keyring.NewInMemory(params.Encoding().Codec)
	newKey := func(name string) sdk.AccAddress {
		rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		require.NoError(t, err)
		addr, err := rec.GetAddress()
		require.NoError(t, err)
		return addr
	}
	op, worker := newKey("operator"), newKey("worker1")
	remote := sdk.AccAddress(append(make([]byte, 19), 9))
	ctx := client.Context{Keyring: kr}

	for arg, want := range map[string]workerKey{
		"":                {addr: op},
		"operator":        {addr: op},
		op.String():       {addr: op},
		"worker1":         {addr: worker, keyName: "worker1"},
		worker.String():   {addr: worker, keyName: "worker1"},
		remote.String():   {addr: remote},
		"   ":             {},
		"no-such-key-xyz": {},
	} {
		got, err := resolveWorker(ctx, op, arg)
		if want.addr == nil {
			require.ErrorContains(t, err, "neither a key of the keyring nor an address", arg)
			continue
		}
		require.NoError(t, err, arg)
		require.Equal(t, want, got, arg)
	}
}
