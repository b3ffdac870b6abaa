package app_test

import (
	"fmt"
	"testing"

	"golang.org/x/crypto/curve25519"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// benchFixture has 8 funded senders, a model and one provider with room for every job.
func benchFixture(b *testing.B) *appfixture.Fixture {
	names := []string{"prov", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}
	f := appfixture.New(b, appfixture.Options{Accounts: names, Genesis: func(g appfixture.GenesisEditor) {
		cdc := g.App.AppCodec()
		var pg providertypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[providertypes.ModuleName], &pg)
		pg.Models = append(pg.Models, providertypes.Model{Id: "m", Sha256: fmt.Sprintf("%064x", 1), ContextLength: 512})
		g.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	}})
	prov := f.Accounts["prov"]
	f.MustDeliver(prov, &providertypes.MsgRegisterProvider{
		Operator: prov.Address.String(), Worker: prov.Address.String(), Models: []string{"m"},
		Bond: sdk.NewInt64Coin(app.BondDenom, 100_000_000_000), PricePerToken: sdk.NewInt64Coin(app.BondDenom, 1),
		Profile: "p", MaxJobs: 65536,
	})
	return f
}

// benchBlocks signs perBlock txs of msg per block and times the blocks that include them
// plus one more (where submitted jobs are assigned).
func benchBlocks(b *testing.B, perBlock int, msg func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg) {
	f := benchFixture(b)
	senders := make([]*appfixture.Account, 8)
	for i := range senders {
		senders[i] = f.Accounts[fmt.Sprintf("s%d", i)]
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		txs := make([][]byte, perBlock)
		for j := range txs {
			acc := senders[j%len(senders)]
			txs[j] = f.SignTx(acc, msg(f, acc))
		}
		b.StartTimer()
		for _, res := range f.NextBlock(txs...) {
			if res.Code != 0 {
				b.Fatalf("tx failed: %s", res.Log)
			}
		}
		f.NextBlock()
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkBlockSend and BenchmarkBlockSubmitJob compare the state machine's cost of the
// two messages (blocks of 1000 txs, signature checks included), without the network.
func BenchmarkBlockSend(b *testing.B) {
	benchBlocks(b, 1000, func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg {
		return banktypes.NewMsgSend(acc.Address, f.Accounts["prov"].Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	})
}

func BenchmarkBlockSubmitJob(b *testing.B) {
	benchBlocks(b, 1000, func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg {
		return &tasktypes.MsgSubmitJob{
			Submitter: acc.Address.String(), ModelId: "m", Prompt: "loadgen", MaxOutputTokens: 16,
			MaxFee: sdk.NewInt64Coin(app.BondDenom, 100), OutputKey: curve25519.Basepoint, DeadlineBlocks: 1000,
		}
	})
}
