package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/provider/types"
)

// TestIndexesInvariant: through registrations, a model dropped, a price change, a jail
// and an unbonding, the index invariant holds, also after a genesis round trip; it
// catches a stale worker entry, a missing model entry, a price listed at the wrong
// amount, a wrong lowest price, a tree weight off its provider's, and an unbonding
// provider off the queue.
func TestIndexesInvariant(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 6; i++ {
		f.register(t, i, int64(i), "llama-7b", "tiny_model")
	}
	require.NoError(t, f.k.CheckIndexes(f.ctx))
	_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: addr(1).String(), Models: []string{"tiny_model"}})
	require.NoError(t, err)
	cheap := coin(1)
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: addr(2).String(), PricePerToken: &cheap})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, addr(3)))
	}
	_, err = f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: addr(4).String()})
	require.NoError(t, err)
	require.NoError(t, f.k.CheckIndexes(f.ctx))

	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	g := newFixture(t)
	g.bank.balances = f.bank.balances
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	require.NoError(t, g.k.CheckIndexes(g.ctx))

	k, ctx := f.k, f.ctx
	p4 := f.provider(t, addr(4))
	low, ok, err := k.MinPrice(ctx, "llama-7b")
	require.NoError(t, err)
	require.True(t, ok)
	slot, err := k.TreeSlot.Get(ctx, collections.Join("llama-7b", addr(5)))
	require.NoError(t, err)
	weight, err := k.TreeWeight.Get(ctx, collections.Join("llama-7b", slot))
	require.NoError(t, err)
	price := f.provider(t, addr(5)).PricePerToken.Amount
	priceKey := func(a math.Int) []byte { return a.BigInt().FillBytes(make([]byte, 32)) }
	for name, tc := range map[string]struct {
		breakIt, repair func() error
		want            string
	}{
		"stale worker entry": {
			func() error { return k.ProviderByWorker.Set(ctx, addr(999), addr(1)) },
			func() error { return k.ProviderByWorker.Remove(ctx, addr(999)) },
			"providers_by_worker",
		},
		"missing model entry": {
			func() error {
				return k.ModelProviders.Remove(ctx, collections.Join("tiny_model", addr(6)))
			},
			func() error {
				return k.ModelProviders.Set(ctx, collections.Join("tiny_model", addr(6)))
			},
			"model_providers",
		},
		"price at the wrong amount": {
			func() error {
				if err := k.PriceIndex.Remove(ctx, collections.Join3("llama-7b", priceKey(price), addr(5))); err != nil {
					return err
				}
				return k.PriceIndex.Set(ctx, collections.Join3("llama-7b", priceKey(price.AddRaw(1)), addr(5)))
			},
			func() error {
				if err := k.PriceIndex.Remove(ctx, collections.Join3("llama-7b", priceKey(price.AddRaw(1)), addr(5))); err != nil {
					return err
				}
				return k.PriceIndex.Set(ctx, collections.Join3("llama-7b", priceKey(price), addr(5)))
			},
			"price_index",
		},
		"wrong lowest price": {
			func() error { return k.MinPrices.Set(ctx, "llama-7b", low.AddRaw(1)) },
			func() error { return k.MinPrices.Set(ctx, "llama-7b", low) },
			"min_prices",
		},
		"tree weight off the provider's": {
			func() error { return k.TreeWeight.Set(ctx, collections.Join("llama-7b", slot), weight.AddRaw(1)) },
			func() error { return k.TreeWeight.Set(ctx, collections.Join("llama-7b", slot), weight) },
			"tree llama-7b",
		},
		"unbonding provider off the queue": {
			func() error {
				return k.UnbondingQueue.Remove(ctx, collections.Join(p4.UnbondingHeight, addr(4)))
			},
			func() error {
				return k.UnbondingQueue.Set(ctx, collections.Join(p4.UnbondingHeight, addr(4)))
			},
			"not queued",
		},
	} {
		require.NoError(t, tc.breakIt(), name)
		err := k.CheckIndexes(ctx)
		require.ErrorIs(t, err, types.ErrInvariantBroken, name)
		require.True(t, strings.Contains(err.Error(), tc.want), "%s: %v", name, err)
		require.NoError(t, tc.repair(), name)
		require.NoError(t, k.CheckIndexes(ctx), "%s repaired", name)
	}
}
