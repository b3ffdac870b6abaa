package keeper_test

import (
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// balances snapshots every user and Sovra module account.
func balances(f *appfixture.Fixture) map[string]sdkmath.Int {
	out := map[string]sdkmath.Int{}
	for name, acc := range f.Accounts {
		out[name] = f.Balance(acc.Address)
	}
	for _, m := range []string{types.ModuleName, providertypes.ModuleName, rewardstypes.ModuleName, rewardstypes.VerificationPoolName} {
		out["module:"+m] = f.Balance(authtypes.NewModuleAddress(m))
	}
	return out
}

// TestBadInputChangesNothing sends each malformed or unauthorized message in a real
// block and checks that it fails with a clear error and that no balance moved.
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t, 1000)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerProvider(t, f, "prov2", "worker2", 10)
	registerStandby(t, f)
	addr := func(name string) string { return f.Accounts[name].Address.String() }

	// assigned submits a job and waits for its assignment.
	assigned := func(deadline uint64) types.Job {
		id := submit(t, f, "alice", 100_000, deadline)
		f.NextBlock()
		return job(t, f, id)
	}
	validRegister := func(op, worker string) *providertypes.MsgRegisterProvider {
		return &providertypes.MsgRegisterProvider{
			Operator: addr(op), Worker: addr(worker), Models: []string{testModel}, Bond: coin(10_000_000),
			PricePerToken: coin(10), Profile: "cpu-x64-f32-greedy-v1",
		}
	}
	badShares := rewardstypes.DefaultParams()
	badShares.ProviderShare = sdkmath.LegacyNewDecWithPrec(70, 2) // shares now sum to 0.9

	// fixed wraps a message whose signer does not depend on the setup.
	fixed := func(signer string, msg func() sdk.Msg) func() (string, sdk.Msg) {
		return func() (string, sdk.Msg) { return signer, msg() }
	}
	providerName := func(j types.Job) string {
		if j.Provider == addr("prov1") {
			return "prov1"
		}
		return "prov2"
	}
	cases := []struct {
		name  string
		want  string // substring of the error
		setup func() (signer string, msg sdk.Msg)
	}{
		{"unknown model", "unknown model", fixed("bob", func() sdk.Msg {
			m := validRegister("bob", "bob")
			m.Models = []string{"no-such-model"}
			return m
		})},
		{"bond below minimum", "bond", fixed("bob", func() sdk.Msg {
			m := validRegister("bob", "bob")
			m.Bond = coin(10)
			return m
		})},
		{"zero price", "price", fixed("bob", func() sdk.Msg {
			m := validRegister("bob", "bob")
			m.PricePerToken = coin(0)
			return m
		})},
		{"foreign price denom", "denom", fixed("bob", func() sdk.Msg {
			m := validRegister("bob", "bob")
			m.PricePerToken = sdk.NewInt64Coin("uatom", 10)
			return m
		})},
		{"worker of another provider, without the worker's signature", "wrong number of signers", fixed("bob", func() sdk.Msg { return validRegister("bob", "worker1") })},
		{"job for unknown model", "unknown model", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.ModelId = "no-such-model"
			return m
		})},
		{"fee of zero", "max fee", fixed("alice", func() sdk.Msg { return submitMsg(f, "alice", 0, 0) })},
		{"fee in a foreign denom", "denom", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.MaxFee = sdk.NewInt64Coin("uatom", 100_000)
			return m
		})},
		{"fee below the provider price", "cannot cover", fixed("alice", func() sdk.Msg { return submitMsg(f, "alice", 100, 0) })},
		{"prompt over the size param", "prompt", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000_000, 0)
			m.Prompt = strings.Repeat("a", 8*1024+1)
			return m
		})},
		{"max tokens of zero", "max output tokens", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.MaxOutputTokens = 0
			return m
		})},
		{"max tokens over the max_output_tokens param (which bounds an audit trace)", "3000 > 2048", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000_000, 0)
			m.MaxOutputTokens = 3000
			return m
		})},
		{"max tokens over the context", "context", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000_000, 0)
			m.MaxOutputTokens = 513
			return m
		})},
		{"output key of the wrong size", "output key", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.OutputKey = []byte{1, 2, 3}
			return m
		})},
		{"all-zero output key (anyone could open the output)", "low-order", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.OutputKey = make([]byte, 32)
			return m
		})},
		{"output key of order 8", "low-order", fixed("alice", func() sdk.Msg {
			m := submitMsg(f, "alice", 100_000, 0)
			m.OutputKey = append([]byte{
				0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
				0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8,
			}, 0x00)
			return m
		})},
		{"commit from a key that is no worker", "not the worker", fixed("bob", func() sdk.Msg {
			return commitMsg(f, "bob", assigned(0).Id, 4, 4)
		})},
		{"commit from another provider's worker", "assigned to", func() (string, sdk.Msg) {
			j := assigned(0)
			_, other := workerOf(t, f, j)
			return other, commitMsg(f, other, j.Id, 4, 4)
		}},
		{"commit with more tokens than the job allows", "output tokens", func() (string, sdk.Msg) {
			j := assigned(0)
			w, _ := workerOf(t, f, j)
			return w, commitMsg(f, w, j.Id, 4, 17)
		}},
		{"commit after the deadline", "expired", func() (string, sdk.Msg) {
			j := assigned(2)
			advanceUntil(t, f, 4, func() bool { return job(t, f, j.Id).Status == types.JOB_STATUS_EXPIRED })
			w, _ := workerOf(t, f, j)
			return w, commitMsg(f, w, j.Id, 4, 4)
		}},
		{"commit twice", "COMMITTED", func() (string, sdk.Msg) {
			j := assigned(0)
			w, _ := workerOf(t, f, j)
			f.MustDeliver(f.Accounts[w], commitMsg(f, w, j.Id, 4, 4))
			return w, commitMsg(f, w, j.Id, 4, 4)
		}},
		{"cancel by someone else", "only the submitter", fixed("bob", func() sdk.Msg {
			return &types.MsgCancelJob{Submitter: addr("bob"), JobId: assigned(0).Id}
		})},
		{"cancel after assignment", "before assignment", fixed("alice", func() sdk.Msg {
			return &types.MsgCancelJob{Submitter: addr("alice"), JobId: assigned(0).Id}
		})},
		{"unbond with locked collateral", "locked", func() (string, sdk.Msg) {
			p := providerName(assigned(0))
			return p, &providertypes.MsgUnbond{Operator: addr(p)}
		}},
		{"fee shares that do not sum to 1", "sum", fixed("alice", func() sdk.Msg {
			return &rewardstypes.MsgUpdateParams{Authority: addr("alice"), Params: badShares}
		})},
		{"task params from a non-authority", "authority", fixed("alice", func() sdk.Msg {
			return &types.MsgUpdateParams{Authority: addr("alice"), Params: types.DefaultParams()}
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			signer, msg := tc.setup()
			before := balances(f)
			res := f.Deliver(f.Accounts[signer], msg)
			if res.Code == 0 {
				t.Fatalf("accepted: %T", msg)
			}
			if !strings.Contains(strings.ToLower(res.Log), strings.ToLower(tc.want)) {
				t.Fatalf("error %q does not mention %q", res.Log, tc.want)
			}
			after := balances(f)
			for k, v := range before {
				if !after[k].Equal(v) {
					t.Fatalf("%s moved from %s to %s", k, v, after[k])
				}
			}
		})
	}
}
