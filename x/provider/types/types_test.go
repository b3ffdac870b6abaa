package types_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/internal/chattemplate"
	"github.com/sovra-network/sovra/x/provider/types"
)

func init() { sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub") }

func addr(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	return sdk.AccAddress(h[:20]).String()
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	require.Equal(t, sdk.NewInt64Coin("usovra", 1_000_000), types.DefaultParams().MinBond)
	bad := map[string]func(p *types.Params){
		"zero min bond":    func(p *types.Params) { p.MinBond.Amount = math.ZeroInt() },
		"bad denom":        func(p *types.Params) { p.MinBond.Denom = "1x" },
		"nil amount":       func(p *types.Params) { p.MinBond = sdk.Coin{Denom: "usovra"} },
		"unbonding period": func(p *types.Params) { p.UnbondingPeriod = 0 },
		"max misses":       func(p *types.Params) { p.MaxMisses = 0 },
		"jail blocks":      func(p *types.Params) { p.JailBlocks = 0 },
		"max models":       func(p *types.Params) { p.MaxModels = 0 },
	}
	for name, mut := range bad {
		p := types.DefaultParams()
		mut(&p)
		require.Error(t, p.Validate(), name)
	}
}

func TestModelValidate(t *testing.T) {
	ok := types.Model{Id: "llama-3.1_8b", Sha256: strings.Repeat("ab", 32), ContextLength: 1}
	require.NoError(t, ok.Validate())
	for _, id := range []string{"", "A", "a b", "a/b", strings.Repeat("a", 65)} {
		m := ok
		m.Id = id
		require.ErrorIs(t, m.Validate(), types.ErrInvalidModel, id)
	}
	require.NoError(t, types.ValidateModelID(strings.Repeat("z", 64)))
	for _, sha := range []string{"", strings.Repeat("a", 63), strings.Repeat("A", 64), strings.Repeat("g", 64)} {
		m := ok
		m.Sha256 = sha
		require.ErrorIs(t, m.Validate(), types.ErrInvalidModel, sha)
	}
	m := ok
	m.ContextLength = 0
	require.ErrorIs(t, m.Validate(), types.ErrInvalidModel)
	// Audit tolerances of its own (0: the params'), within x/verify's bounds.
	m = ok
	m.LogprobTolerance, m.MeanLogprobToleranceMilli, m.MarginTolerance, m.IntervalTolerance = 4, 250, 4, 1<<29
	require.NoError(t, m.Validate())
	for name, set := range map[string]func(*types.Model){
		"logprob":  func(m *types.Model) { m.LogprobTolerance = 1<<16 + 1 },
		"margin":   func(m *types.Model) { m.MarginTolerance = 1<<16 + 1 },
		"mean":     func(m *types.Model) { m.MeanLogprobToleranceMilli = 1<<26 + 1 },
		"interval": func(m *types.Model) { m.IntervalTolerance = 1<<31 + 1 },
	} {
		m := ok
		set(&m)
		require.ErrorIs(t, m.Validate(), types.ErrInvalidModel, name)
	}
	// A chat template is empty (no chat format) or one of chattemplate.Names.
	for _, name := range chattemplate.Names() {
		m := ok
		m.ChatTemplate = name
		require.NoError(t, m.Validate(), name)
	}
	for _, name := range []string{"ChatML", "chatml ", "llama-3", "{{ bos_token }}", "\x00"} {
		m := ok
		m.ChatTemplate = name
		err := m.Validate()
		require.ErrorIs(t, err, types.ErrInvalidModel, name)
		require.ErrorContains(t, err, "chat_template: unknown chat template")
	}
}

func TestMsgValidateBasic(t *testing.T) {
	good := types.MsgRegisterProvider{
		Operator: addr(1), Worker: addr(2), Models: []string{"m1"}, Bond: sdk.NewInt64Coin("usovra", 1),
		PricePerToken: sdk.NewInt64Coin("usovra", 1), Profile: types.DefaultProfile,
	}
	require.NoError(t, good.ValidateBasic())
	cases := map[string]func(m *types.MsgRegisterProvider){
		"operator":      func(m *types.MsgRegisterProvider) { m.Operator = "sovra1bad" },
		"worker":        func(m *types.MsgRegisterProvider) { m.Worker = "" },
		"no models":     func(m *types.MsgRegisterProvider) { m.Models = nil },
		"dup models":    func(m *types.MsgRegisterProvider) { m.Models = []string{"a", "a"} },
		"zero bond":     func(m *types.MsgRegisterProvider) { m.Bond = sdk.NewInt64Coin("usovra", 0) },
		"zero price":    func(m *types.MsgRegisterProvider) { m.PricePerToken = sdk.NewInt64Coin("usovra", 0) },
		"nil price":     func(m *types.MsgRegisterProvider) { m.PricePerToken = sdk.Coin{} },
		"profile":       func(m *types.MsgRegisterProvider) { m.Profile = "" },
		"profile ctrl":  func(m *types.MsgRegisterProvider) { m.Profile = "a\nb" },
		"endpoint":      func(m *types.MsgRegisterProvider) { m.Endpoint = "://x" },
		"endpoint host": func(m *types.MsgRegisterProvider) { m.Endpoint = "/relative/path" },
		"hardware":      func(m *types.MsgRegisterProvider) { m.Hardware = strings.Repeat("h", 257) },
		"max jobs":      func(m *types.MsgRegisterProvider) { m.MaxJobs = types.MaxMaxJobs + 1 },
	}
	for name, mut := range cases {
		m := good
		mut(&m)
		require.Error(t, m.ValidateBasic(), name)
	}

	require.Error(t, (&types.MsgUpdateProvider{Operator: addr(1)}).ValidateBasic(), "sets nothing")
	require.NoError(t, (&types.MsgUpdateProvider{Operator: addr(1), MaxJobs: 3}).ValidateBasic())
	zero := sdk.NewInt64Coin("usovra", 0)
	require.Error(t, (&types.MsgUpdateProvider{Operator: addr(1), PricePerToken: &zero}).ValidateBasic())
	require.Error(t, (&types.MsgAddBond{Operator: addr(1), Amount: zero}).ValidateBasic())
	require.Error(t, (&types.MsgUnbond{Operator: "x"}).ValidateBasic())
	require.Error(t, (&types.MsgUnjail{}).ValidateBasic())
	require.Error(t, (&types.MsgRegisterModel{Authority: addr(1)}).ValidateBasic())
	require.Error(t, (&types.MsgUpdateParams{Authority: addr(1)}).ValidateBasic())
	require.NoError(t, (&types.MsgUpdateParams{Authority: addr(1), Params: types.DefaultParams()}).ValidateBasic())
}

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate())
	model := types.Model{Id: "m1", Sha256: strings.Repeat("0", 64), ContextLength: 8}
	prov := types.Provider{
		Operator: addr(1), Worker: addr(2), Models: []string{"m1"}, Bond: sdk.NewInt64Coin("usovra", 1_000_000),
		PricePerToken: sdk.NewInt64Coin("usovra", 1), Profile: "p", MaxJobs: 4, Status: types.PROVIDER_STATUS_ACTIVE,
	}
	gs := types.GenesisState{Params: types.DefaultParams(), Models: []types.Model{model}, Providers: []types.Provider{prov}}
	require.NoError(t, gs.Validate(), "locked omitted reads as zero")
	lowered := types.GenesisState{Params: gs.Params, Models: gs.Models, Providers: []types.Provider{prov}}
	lowered.Providers[0].ActiveJobs = 5 // max_jobs lowered to 4 while 5 jobs run
	require.NoError(t, lowered.Validate(), "a capacity lowered below the running jobs is exported state")

	bad := map[string]func(gs *types.GenesisState){
		"duplicate model": func(gs *types.GenesisState) { gs.Models = append(gs.Models, model) },
		"unknown model":   func(gs *types.GenesisState) { gs.Providers[0].Models = []string{"m2"} },
		"duplicate operator": func(gs *types.GenesisState) {
			p := gs.Providers[0]
			p.Worker = addr(3)
			gs.Providers = append(gs.Providers, p)
		},
		"duplicate worker": func(gs *types.GenesisState) {
			p := gs.Providers[0]
			p.Operator = addr(3)
			gs.Providers = append(gs.Providers, p)
		},
		"bond denom":       func(gs *types.GenesisState) { gs.Providers[0].Bond.Denom = "uatom" },
		"price denom":      func(gs *types.GenesisState) { gs.Providers[0].PricePerToken.Denom = "uatom" },
		"locked > bond":    func(gs *types.GenesisState) { gs.Providers[0].Locked = math.NewInt(2_000_000) },
		"max jobs 0":       func(gs *types.GenesisState) { gs.Providers[0].MaxJobs = 0 },
		"active > any max": func(gs *types.GenesisState) { gs.Providers[0].ActiveJobs = types.MaxMaxJobs + 1 },
		"no status":        func(gs *types.GenesisState) { gs.Providers[0].Status = types.PROVIDER_STATUS_UNSPECIFIED },
		"unbonding height": func(gs *types.GenesisState) { gs.Providers[0].Status = types.PROVIDER_STATUS_UNBONDING },
		"params":           func(gs *types.GenesisState) { gs.Params.JailBlocks = 0 },
		"chat template":    func(gs *types.GenesisState) { gs.Models[0].ChatTemplate = "chat-ml" },
	}
	for name, mut := range bad {
		g := types.GenesisState{Params: gs.Params, Models: []types.Model{model}, Providers: []types.Provider{prov}}
		mut(&g)
		require.Error(t, g.Validate(), name)
	}
}

func TestSameOperator(t *testing.T) {
	p := func(op, worker string) types.Provider { return types.Provider{Operator: op, Worker: worker} }
	a := p(addr(1), addr(2))
	cases := []struct {
		name string
		b    types.Provider
		want bool
	}{
		{"itself", a, true},
		{"same operator", p(addr(1), addr(3)), true},
		{"same worker", p(addr(3), addr(2)), true},
		{"b's worker is a's operator", p(addr(3), addr(1)), true},
		{"b's operator is a's worker", p(addr(2), addr(3)), true},
		{"operator and worker swapped", p(addr(2), addr(1)), true},
		{"upper-case bech32 of the same operator", p(strings.ToUpper(addr(1)), addr(3)), true},
		{"unrelated", p(addr(3), addr(4)), false},
		{"unrelated, worker = operator", p(addr(3), addr(3)), false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, types.SameOperator(a, tc.b), tc.name)
		require.Equal(t, tc.want, types.SameOperator(tc.b, a), tc.name+" (symmetric)")
	}
	// Empty addresses match nothing.
	require.False(t, types.SameOperator(p(addr(1), ""), p(addr(3), "")))
	require.False(t, types.SameOperator(p("", ""), p("", "")))
}

func TestAuditOutcome(t *testing.T) {
	require.True(t, types.AuditPassed.IsValid())
	require.True(t, types.AuditFailed.IsValid())
	require.True(t, types.AuditMissed.IsValid())
	require.False(t, types.AuditOutcome(0).IsValid(), "the zero value is not an outcome")
	require.False(t, types.AuditOutcome(4).IsValid())
	require.Equal(t, "passed", types.AuditPassed.String())
	require.Equal(t, "missed", types.AuditMissed.String())
	require.Equal(t, "AuditOutcome(0)", types.AuditOutcome(0).String())
}
