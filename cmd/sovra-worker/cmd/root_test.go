package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/store"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestInitThenStatus: init writes a loadable config and a key; a second init refuses to
// overwrite; status lists the store.
func TestInitThenStatus(t *testing.T) {
	chain.Encoding()
	home := t.TempDir()
	provider := sdk.AccAddress(make([]byte, 20)).String()
	model := filepath.Join(home, "m.gguf")
	out, err := run(t, "init", "--home", home, "--chain-id", "sovra-test", "--provider-address", provider,
		"--models", "demo-tiny="+model, "--stream-listen", "127.0.0.1:7072")
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	cfg, err := config.Load(home, nil)
	if err != nil || cfg.StreamListen != "127.0.0.1:7072" {
		t.Fatalf("init's config: stream_listen %q, %v", cfg.StreamListen, err)
	}
	if !strings.Contains(out, "address: sovra1") || !strings.Contains(out, "mnemonic") {
		t.Fatalf("init output: %s", out)
	}
	if _, err := os.Stat(filepath.Join(home, "keyring", "keyring-test")); err != nil {
		t.Fatalf("no keyring: %v", err)
	}
	if out, err := run(t, "init", "--home", home, "--chain-id", "x"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second init: %v %s", err, out)
	}

	st, err := store.Open(filepath.Join(home, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(store.Record{JobID: 42, ModelID: "demo-tiny", Status: store.StatusCommitted, TxHash: "ABCD", CommitHeight: 9}); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "status", "--home", home)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if !strings.Contains(out, "1 job(s)") || !strings.Contains(out, "42") || !strings.Contains(out, "ABCD") {
		t.Fatalf("status output: %s", out)
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	home := t.TempDir()
	if _, err := run(t, "start", "--home", home); err == nil || !strings.Contains(err.Error(), "sovra-worker init") {
		t.Fatalf("start without config: %v", err)
	}
	if out, err := run(t, "init", "--home", home, "--chain-id", "c"); err != nil {
		t.Fatal(err, out)
	}
	if _, err := run(t, "start", "--home", home); err == nil || !strings.Contains(err.Error(), "provider_address is empty") {
		t.Fatalf("start with no provider: %v", err)
	}
}
