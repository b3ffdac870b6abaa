package app_test

import (
	"slices"
	"testing"

	"cosmossdk.io/log/v2"
	dbm "github.com/cosmos/cosmos-db"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/app/params"
)

type noOpts struct{}

func (noOpts) Get(string) any { return nil }

// implementations lists every interface with its registered implementations.
func implementations(r codectypes.InterfaceRegistry) []string {
	var out []string
	for _, iface := range r.ListAllInterfaces() {
		for _, impl := range r.ListImplementations(iface) {
			out = append(out, iface+" "+impl)
		}
	}
	slices.Sort(out)
	return out
}

// TestClientEncodingMatchesTheApp: clients take their codecs from params without an app;
// they must know every message and interface the app's modules register, and nothing else.
func TestClientEncodingMatchesTheApp(t *testing.T) {
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, noOpts{})
	fromModules := codectypes.NewInterfaceRegistry()
	std.RegisterInterfaces(fromModules)
	a.BasicModuleManager.RegisterInterfaces(fromModules)
	want := implementations(fromModules)
	got := implementations(params.MakeEncodingConfig().InterfaceRegistry)
	if len(want) == 0 {
		t.Fatal("the app registered no implementations")
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("params misses %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("params registers %s, which the app does not", g)
		}
	}
}
