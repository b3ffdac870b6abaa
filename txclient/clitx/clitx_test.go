package clitx

import (
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client/flags"
)

func txFlags(t *testing.T, args ...string) *cobra.Command {
	cmd := &cobra.Command{Use: "x"}
	flags.AddTxFlagsToCmd(cmd)
	cmd.Flags().Duration(FlagWaitTimeout, 30*time.Second, "")
	require.NoError(t, cmd.Flags().Parse(args))
	return cmd
}

func TestTxOptionsHonoursTheStandardFlags(t *testing.T) {
	opts, err := Options(txFlags(t).Flags())
	require.NoError(t, err)
	require.Equal(t, uint64(flags.DefaultGasLimit), opts.Gas, "no --gas: the SDK's default limit")
	require.Equal(t, 30*time.Second, opts.TxTimeout)

	opts, err = Options(txFlags(t, "--gas=auto", "--gas-adjustment=1.4", "--gas-prices=0.025usovra", "--note=hi", "--wait-timeout=5s").Flags())
	require.NoError(t, err)
	require.Zero(t, opts.Gas, "auto: sized by simulation")
	require.Equal(t, 1.4, opts.GasAdjustment)
	require.Equal(t, "0.025000000000000000usovra", opts.GasPrices.String())
	require.Equal(t, "hi", opts.Memo)
	require.Equal(t, 5*time.Second, opts.TxTimeout)

	opts, err = Options(txFlags(t, "--gas=123456", "--fees=10usovra").Flags())
	require.NoError(t, err)
	require.Equal(t, uint64(123456), opts.Gas)
	require.Equal(t, "10usovra", opts.Fees.String())
}

func TestTxOptionsRefusesWhatItCannotHonour(t *testing.T) {
	for name, args := range map[string][]string{
		"both fees and prices": {"--fees=1usovra", "--gas-prices=0.1usovra"},
		"fee granter":          {"--fee-granter=sovra1xyz"},
		"fee payer":            {"--fee-payer=sovra1xyz"},
		"offline":              {"--offline"},
		"timeout height":       {"--timeout-height=9"},
		"bad gas":              {"--gas=lots"},
		"bad fees":             {"--fees=ten"},
		"bad prices":           {"--gas-prices=cheap"},
	} {
		_, err := Options(txFlags(t, args...).Flags())
		require.Error(t, err, name)
	}
}
