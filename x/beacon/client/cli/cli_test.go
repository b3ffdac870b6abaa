package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/sovra-network/sovra/x/beacon/client/cli"
	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// run executes cmd under a root with a persistent --home flag, as in sovrad.
func run(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "sovrad", SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().String(flags.FlagHome, "", "home")
	root.AddCommand(cmd)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestVRFInitAndShow(t *testing.T) {
	home := t.TempDir()
	out, err := run(t, cli.NewVRFCmd(), "vrf", "init", "--home", home)
	if err != nil {
		t.Fatal(err)
	}
	path := vrf.DefaultKeyFile(home)
	key, err := vrf.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.StdEncoding.EncodeToString(key.PubKey())
	if strings.TrimSpace(out) != pub {
		t.Fatalf("init printed %q, want %q", out, pub)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}

	out, err = run(t, cli.NewVRFCmd(), "vrf", "show", "--home", home)
	if err != nil || strings.TrimSpace(out) != pub {
		t.Fatalf("show: %q %v", out, err)
	}

	if _, err := run(t, cli.NewVRFCmd(), "vrf", "init", "--home", home); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second init: %v", err)
	}
	if again, _ := vrf.LoadKeyFile(path); !bytes.Equal(again.Bytes(), key.Bytes()) {
		t.Fatal("refused init still changed the key")
	}
	out, err = run(t, cli.NewVRFCmd(), "vrf", "init", "--home", home, "--overwrite")
	if err != nil || strings.TrimSpace(out) == pub {
		t.Fatalf("overwrite: %q %v", out, err)
	}

	if _, err := run(t, cli.NewVRFCmd(), "vrf", "show", "--home", t.TempDir()); err == nil || !strings.Contains(err.Error(), "vrf init") {
		t.Fatalf("show without key: %v", err)
	}
}

func writeGenesis(t *testing.T, home string, appState map[string]json.RawMessage) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(appState)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "config", "genesis.json")
	if err := genutiltypes.NewAppGenesisWithVersion(testutil.ChainID, raw).SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func readBeaconGenesis(t *testing.T, path string) (*types.GenesisState, map[string]json.RawMessage) {
	t.Helper()
	ag, err := genutiltypes.AppGenesisFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	appState := map[string]json.RawMessage{}
	if err := json.Unmarshal(ag.AppState, &appState); err != nil {
		t.Fatal(err)
	}
	var gs types.GenesisState
	if err := codec.NewProtoCodec(codectypes.NewInterfaceRegistry()).UnmarshalJSON(appState[types.ModuleName], &gs); err != nil {
		t.Fatal(err)
	}
	return &gs, appState
}

func TestAddGenesisVRFKey(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)

	home := t.TempDir()
	genFile := writeGenesis(t, home, map[string]json.RawMessage{"bank": json.RawMessage(`{"x":1}`)})
	if _, err := run(t, cli.NewVRFCmd(), "vrf", "init", "--home", home); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, cli.AddGenesisVRFKeyCmd(home), "add-vrf-key", v.Valoper); err != nil {
		t.Fatal(err)
	}
	gs, appState := readBeaconGenesis(t, genFile)
	var compact bytes.Buffer
	if err := json.Compact(&compact, appState["bank"]); err != nil || compact.String() != `{"x":1}` {
		t.Fatalf("other module state changed: %s", appState["bank"])
	}
	if len(gs.VrfKeys) != 1 || gs.VrfKeys[0].Validator != v.Valoper || len(gs.VrfKeyProofs) != 1 {
		t.Fatalf("beacon genesis %+v", gs)
	}
	if gs.Params != types.DefaultParams() {
		t.Fatalf("params %+v", gs.Params)
	}
	// The genesis loads: the proof verifies for the genesis chain id.
	if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
		t.Fatalf("InitGenesis: %v", err)
	}

	// Same validator again, or the same key for another validator: clear errors.
	if _, err := run(t, cli.AddGenesisVRFKeyCmd(home), "add-vrf-key", v.Valoper); err == nil || !strings.Contains(err.Error(), "already has a VRF key") {
		t.Fatalf("second add: %v", err)
	}
	if _, err := run(t, cli.AddGenesisVRFKeyCmd(home), "add-vrf-key", w.Valoper); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("shared key: %v", err)
	}
	if _, err := run(t, cli.AddGenesisVRFKeyCmd(home), "add-vrf-key", v.Operator.String()); err == nil || !strings.Contains(err.Error(), "validator operator address") {
		t.Fatalf("account address: %v", err)
	}
	if gs2, _ := readBeaconGenesis(t, genFile); len(gs2.VrfKeys) != 1 {
		t.Fatal("a refused add changed genesis")
	}

	// A second node's key for another validator is appended.
	home2 := t.TempDir()
	if _, err := run(t, cli.NewVRFCmd(), "vrf", "init", "--home", home2); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, cli.AddGenesisVRFKeyCmd(home), "add-vrf-key", w.Valoper, "--"+cli.FlagKeyFile, vrf.DefaultKeyFile(home2)); err != nil {
		t.Fatal(err)
	}
	if gs3, _ := readBeaconGenesis(t, genFile); len(gs3.VrfKeys) != 2 || gs3.Validate() != nil {
		t.Fatalf("after second key: %+v", gs3)
	}
}

func TestBuildRegisterVRFKeyMsg(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	home := t.TempDir()
	if err := vrf.SaveKeyFile(vrf.DefaultKeyFile(home), v.Key); err != nil {
		t.Fatal(err)
	}
	cmd := cli.TxRegisterVRFKeyCmd()
	if err := cmd.Flags().Set(flags.FlagHome, home); err != nil {
		// --home is inherited from the root in sovrad; add it for the test.
		cmd.Flags().String(flags.FlagHome, home, "")
	}
	clientCtx := client.Context{}.WithChainID(testutil.ChainID).WithFromAddress(v.Operator)
	msg, err := cli.BuildRegisterVRFKeyMsg(cmd, clientCtx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keeper.NewMsgServerImpl(f.Keeper).RegisterVRFKey(f.Ctx, msg); err != nil {
		t.Fatalf("chain refused the CLI's message: %v", err)
	}

	if _, err := cli.BuildRegisterVRFKeyMsg(cmd, clientCtx.WithChainID("")); err == nil {
		t.Fatal("missing chain id accepted")
	}
	if _, err := cli.BuildRegisterVRFKeyMsg(cmd, client.Context{}.WithChainID(testutil.ChainID)); err == nil {
		t.Fatal("missing --from accepted")
	}
}
