package app_test

import (
	"fmt"
	"testing"

	"golang.org/x/crypto/curve25519"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// benchBlocks signs perBlock txs of msg per block and times the blocks that include them
// plus one more (where submitted jobs are assigned), on make bench's network
// (jobsFixture: three providers that can audit one another, so a job is assignable).
// With jobs, every one must be assigned in that block.
func benchBlocks(b *testing.B, perBlock int, jobs bool, msg func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg) {
	f := jobsFixture(b)
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
		if jobs {
			b.StopTimer()
			assigned := 0
			for _, e := range f.LastBlock.Events {
				if e.Type == "sovra.task.v1.EventJobAssigned" {
					assigned++
				}
			}
			if assigned != perBlock {
				b.Fatalf("%d of %d jobs assigned in the next block", assigned, perBlock)
			}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkBlockSend and BenchmarkBlockSubmitJob compare the state machine's cost of the
// two messages (blocks of 1000 txs, signature checks included), without the network.
func BenchmarkBlockSend(b *testing.B) {
	benchBlocks(b, 1000, false, func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg {
		return banktypes.NewMsgSend(acc.Address, f.Accounts["p0"].Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	})
}

func BenchmarkBlockSubmitJob(b *testing.B) {
	benchBlocks(b, 1000, true, func(f *appfixture.Fixture, acc *appfixture.Account) sdk.Msg {
		return &tasktypes.MsgSubmitJob{
			Submitter: acc.Address.String(), ModelId: "m", Prompt: "loadgen", MaxOutputTokens: 16,
			MaxFee: sdk.NewInt64Coin(app.BondDenom, 100), OutputKey: curve25519.Basepoint, DeadlineBlocks: 1000,
		}
	})
}
