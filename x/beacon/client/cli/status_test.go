package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovra-network/sovra/x/beacon/client/cli"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

func TestReadKeyFileState(t *testing.T) {
	home := t.TempDir()
	path := vrf.DefaultKeyFile(home)
	if st := cli.ReadKeyFileState(path); st.Present || st.Error != "no such file" {
		t.Fatalf("missing file: %+v", st)
	}
	key, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{4}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	if err := vrf.SaveKeyFile(path, key); err != nil {
		t.Fatal(err)
	}
	if st := cli.ReadKeyFileState(path); !st.Present || !bytes.Equal(st.PubKey, key.PubKey()) {
		t.Fatalf("good file: %+v", st)
	}
	// The consensus key in the VRF key file is refused, as the node refuses it.
	pv, _ := json.Marshal(map[string]any{"address": strings.Repeat("AA", 20), "pub_key": map[string]string{
		"type": "tendermint/PubKeyEd25519", "value": base64.StdEncoding.EncodeToString(key.PubKey()),
	}})
	if err := os.WriteFile(filepath.Join(home, "config", "priv_validator_key.json"), pv, 0o600); err != nil {
		t.Fatal(err)
	}
	if st := cli.ReadKeyFileState(path); st.Present || !strings.Contains(st.Error, "consensus key") {
		t.Fatalf("consensus key: %+v", st)
	}
}

// TestVRFStatusStates: every state prints what it means and what to do, and a keyless
// validator's grace period is explained.
func TestVRFStatusStates(t *testing.T) {
	key, _ := vrf.NewKeyFromSeed(bytes.Repeat([]byte{5}, vrf.SeedSize))
	other, _ := vrf.NewKeyFromSeed(bytes.Repeat([]byte{6}, vrf.SeedSize))
	present := cli.KeyFileState{Path: "/h/config/vrf_key.json", Present: true, PubKey: key.PubKey()}
	absent := cli.KeyFileState{Path: "/h/config/vrf_key.json", Error: "no such file"}
	val := func(registered []byte, accepted bool) *types.QueryValidatorResponse {
		v := &types.QueryValidatorResponse{
			Validator: "sovravaloper1x", ConsensusAddress: "sovravalcons1x", Bonded: true, RequireVrf: true,
			HasBondedHeight: true, FirstBondedHeight: 10, GraceEndHeight: 1010, Height: 500, WeakProposalsAccepted: accepted,
		}
		if registered != nil {
			v.HasKey, v.Key = true, types.VRFKey{Validator: v.Validator, PubKey: registered, RegisteredHeight: 12}
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		st    cli.VRFStatus
		state string
		want  []string
	}{
		{"ready", cli.NewVRFStatus(present, "sovravalcons1x", val(key.PubKey(), false)), "ready", []string{"registered:  " + base64.StdEncoding.EncodeToString(key.PubKey())}},
		{"no key file", cli.NewVRFStatus(absent, "sovravalcons1x", val(nil, true)), "no_key_file", []string{"sovrad vrf init", "no restart", "accepted up to height 1010 (510 blocks left"}},
		{"not registered", cli.NewVRFStatus(present, "sovravalcons1x", val(nil, true)), "not_registered", []string{"register-vrf-key", "registered:  none"}},
		{"grace over", cli.NewVRFStatus(present, "sovravalcons1x", val(nil, false)), "not_registered", []string{"ended at height 1010", "REJECTED"}},
		{"mismatch", cli.NewVRFStatus(present, "sovravalcons1x", val(other.PubKey(), false)), "key_mismatch", []string{"cannot be replaced"}},
		{"not a validator", cli.NewVRFStatus(present, "sovravalcons1y", nil), "not_validator", []string{"sovravalcons1y is not a validator", "create-validator"}},
	} {
		var out bytes.Buffer
		if err := tc.st.Print(&out); err != nil {
			t.Fatal(err)
		}
		if tc.st.State != tc.state || tc.st.Ready != (tc.state == "ready") || !strings.HasPrefix(out.String(), "VRF status: "+tc.state+"\n") {
			t.Errorf("%s: state %q ready %v\n%s", tc.name, tc.st.State, tc.st.Ready, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out.String())
			}
		}
	}
}

func TestVRFStatusNeedsAValidator(t *testing.T) {
	home := t.TempDir()
	_, err := run(t, cli.NewVRFCmd(), "vrf", "status", "--home", home)
	if err == nil || !strings.Contains(err.Error(), "--validator") {
		t.Fatalf("no priv_validator_key.json and no --validator: %v", err)
	}
}
