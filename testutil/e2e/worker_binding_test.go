package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
)

// TestWorkerBindingThroughTheCLI: binding a worker address needs that key's signature,
// through the CLI as a user runs it, on real sovrad processes.
//   - The worker key in the same keyring (named or by address): `register` signs with both
//     keys; a worker that is the operator signs once; `change-worker` likewise.
//   - A worker key kept elsewhere: `register --generate-only`, `tx sign` by the operator,
//     then by the worker in its own keyring (amino-json), `tx broadcast`. The operator's
//     signature alone is refused (what a squatter without the worker key can send).
//   - A worker address without an account cannot sign: the command says to fund it.
func TestWorkerBindingThroughTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1})
	cli := e2e.NewCLI(t, net)
	register := func(from string, extra ...string) []string {
		return append([]string{
			"provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", "10usovra", "--profile", "cpu-x64-f32-greedy-v1", "--from", from,
		}, extra...)
	}

	// The worker key in the keyring, by name: both keys sign.
	res, err := cli.Tx(register("provider1", "--worker", "worker1")...)
	require.NoError(t, err)
	require.Equal(t, 2, signatureCount(t, cli, res.TxHash))
	require.Equal(t, net.AccountAddress("worker1"), workerOfProvider(t, cli, net.AccountAddress("provider1")))

	// No --worker: the operator is its own worker, one signature.
	res, err = cli.Tx(register("provider2")...)
	require.NoError(t, err)
	require.Equal(t, 1, signatureCount(t, cli, res.TxHash))
	require.Equal(t, net.AccountAddress("provider2"), workerOfProvider(t, cli, net.AccountAddress("provider2")))

	// change-worker to a key of the keyring, given by address: both sign.
	res, err = cli.Tx("provider", "change-worker", net.AccountAddress("worker2"), "--from", "provider2")
	require.NoError(t, err)
	require.Equal(t, 2, signatureCount(t, cli, res.TxHash))
	require.Equal(t, net.AccountAddress("worker2"), workerOfProvider(t, cli, net.AccountAddress("provider2")))

	// A worker key kept elsewhere: its own keyring, on "another machine".
	remote := *cli
	remote.Home = t.TempDir()
	_, err = remote.Run("keys", "add", "farworker")
	require.NoError(t, err)
	far, err := remote.Address("farworker")
	require.NoError(t, err)

	// Without --generate-only the command cannot sign for it, and says what to do.
	_, err = cli.Tx(register("provider3", "--worker", far)...)
	requireCmdErr(t, err, "must sign too", "--generate-only")

	dir := t.TempDir()
	unsigned, opSigned, bothSigned := filepath.Join(dir, "reg.json"), filepath.Join(dir, "reg.op.json"), filepath.Join(dir, "reg.both.json")
	_, err = cli.Run(append(append([]string{"tx"}, register("provider3", "--worker", far, "--gas", "auto")...), "--generate-only")...)
	requireCmdErr(t, err, "--gas auto cannot simulate")
	out, err := cli.Run(append(append([]string{"tx"}, register("provider3", "--worker", far, "--gas", "300000")...), "--generate-only")...)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(unsigned, []byte(out), 0o600))
	_, err = cli.Run("tx", "sign", unsigned, "--from", "provider3", "--sign-mode", "amino-json", "--output-document", opSigned)
	require.NoError(t, err)

	// The operator's signature alone: what a squatter without the worker key can send.
	res, err = cli.Tx("broadcast", opSigned)
	var failed *localnet.TxFailedError
	require.ErrorAs(t, err, &failed)
	require.Contains(t, res.RawLog, "wrong number of signers; expected 2, got 1")

	// The worker signs in its own keyring: its address has no account yet.
	_, err = remote.Run("tx", "sign", opSigned, "--from", "farworker", "--sign-mode", "amino-json", "--output-document", bothSigned)
	requireCmdErr(t, err, far, "not found")
	_, err = cli.Tx("bank", "send", "alice", far, "1000000usovra", "--from", "alice")
	require.NoError(t, err)
	_, err = remote.Run("tx", "sign", opSigned, "--from", "farworker", "--sign-mode", "amino-json", "--output-document", bothSigned)
	require.NoError(t, err)
	res, err = cli.Tx("broadcast", bothSigned)
	require.NoError(t, err)
	t.Logf("a registration signed by operator and worker used %d gas", res.GasUsed)
	require.Equal(t, 2, signatureCount(t, cli, res.TxHash))
	require.Equal(t, far, workerOfProvider(t, cli, net.AccountAddress("provider3")))

	// A worker key of the keyring whose address never received coins cannot sign yet.
	_, err = cli.Run("keys", "add", "unfunded")
	require.NoError(t, err)
	_, err = cli.Tx(register("bob", "--worker", "unfunded")...)
	requireCmdErr(t, err, "has no account on chain: fund the address first")
	var show struct{}
	require.Error(t, cli.QueryJSON(&show, "provider", "show", net.AccountAddress("bob")), "bob registered")
}

// requireCmdErr checks that err is a failed command whose output contains every want.
func requireCmdErr(t *testing.T, err error, want ...string) {
	t.Helper()
	var cmdErr *localnet.CmdError
	require.True(t, errors.As(err, &cmdErr), "want a failed command, got %v", err)
	for _, w := range want {
		require.Contains(t, cmdErr.Stderr+cmdErr.Stdout, w)
	}
}

func workerOfProvider(t *testing.T, cli *e2e.CLI, operator string) string {
	t.Helper()
	var res struct {
		Provider struct {
			Worker string `json:"worker"`
		} `json:"provider"`
	}
	require.NoError(t, cli.QueryJSON(&res, "provider", "show", operator))
	return res.Provider.Worker
}

// signatureCount is the number of signatures of the included tx.
func signatureCount(t *testing.T, cli *e2e.CLI, hash string) int {
	t.Helper()
	var res struct {
		Tx struct {
			Signatures []string `json:"signatures"`
		} `json:"tx"`
	}
	require.NoError(t, cli.QueryJSON(&res, "tx", hash))
	return len(res.Tx.Signatures)
}
