package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// checkTree runs the keeper's first-principles tree check and compares the total with the
// providers' own records.
func checkTree(t *testing.T, f *fixture, model string) {
	t.Helper()
	require.NoError(t, f.k.CheckWeightTree(f.ctx, model))
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	sum := sdkmath.ZeroInt()
	require.NoError(t, f.k.Providers.Walk(f.ctx, nil, func(op sdk.AccAddress, p types.Provider) (bool, error) {
		if containsModel(p.Models, model) && p.Status == types.PROVIDER_STATUS_ACTIVE && p.ActiveJobs < p.MaxJobs &&
			p.Bond.Amount.GTE(params.MinBond.Amount) {
			sum = sum.Add(p.Bond.Amount)
		}
		return false, nil
	}))
	total, err := f.k.TotalWeight(f.ctx, model)
	require.NoError(t, err)
	require.True(t, sum.Equal(total), "total %s, sum of eligible bonds %s", total, sum)
}

func containsModel(models []string, m string) bool {
	for _, x := range models {
		if x == m {
			return true
		}
	}
	return false
}

func seedOf(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h := sha256.Sum256(b[:])
	return h[:]
}

// TestDrawDistribution: over many seeds each provider's share matches its weight within
// 4.5 binomial standard deviations (the draw is deterministic, so this cannot flake).
func TestDrawDistribution(t *testing.T) {
	f := newFixture(t)
	bonds := []int64{1, 2, 3, 5, 8, 13, 21} // 7 providers: a non-power-of-two tree
	var total int64
	ops := make(map[string]int64)
	for i, b := range bonds {
		op := f.register(t, i+1, b)
		ops[op.String()] = b
		total += b
	}
	checkTree(t, f, "llama-7b")

	const draws = 20000
	counts := make(map[string]int)
	for i := 0; i < draws; i++ {
		p, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", seedOf(i), nil, 1)
		require.NoError(t, err)
		require.True(t, ok)
		counts[p.Operator]++
	}
	for op, b := range ops {
		p := float64(b) / float64(total)
		mean := draws * p
		sigma := math.Sqrt(draws * p * (1 - p))
		require.InDelta(t, mean, float64(counts[op]), 4.5*sigma, "provider with bond %d: %d draws, expected %.0f±%.0f", b, counts[op], mean, sigma)
	}
}

func TestDrawIsDeterministicAndFollowsWeights(t *testing.T) {
	f := newFixture(t)
	a := f.register(t, 1, 1)
	b := f.register(t, 2, 1)
	p1, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", []byte("seed"), nil, 1)
	require.NoError(t, err)
	require.True(t, ok)
	p2, _, _ := f.k.DrawProvider(f.ctx, "llama-7b", []byte("seed"), nil, 1)
	require.Equal(t, p1, p2, "same seed, same provider")

	drawn := func() map[string]int {
		c := map[string]int{}
		for i := 0; i < 200; i++ {
			p, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", seedOf(i), nil, 1)
			require.NoError(t, err)
			if ok {
				c[p.Operator]++
			}
		}
		return c
	}
	// Capacity full: a is never drawn.
	require.NoError(t, f.k.LockCollateral(f.ctx, a, sdkmath.ZeroInt()))
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: a.String(), MaxJobs: 1})
	require.NoError(t, err)
	checkTree(t, f, "llama-7b")
	require.Equal(t, map[string]int{b.String(): 200}, drawn())
	require.NoError(t, f.k.ReleaseCollateral(f.ctx, a, sdkmath.ZeroInt()))
	// Bond change: a with 99x b's bond takes almost every draw.
	f.fund(a, 98)
	_, err = f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: a.String(), Amount: bigCoin(98)})
	require.NoError(t, err)
	checkTree(t, f, "llama-7b")
	require.Greater(t, drawn()[a.String()], 190)
	// Jail: a is never drawn.
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, a))
	}
	checkTree(t, f, "llama-7b")
	require.Equal(t, map[string]int{b.String(): 200}, drawn())
	// Nobody eligible: no draw.
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, b))
	}
	_, ok, err = f.k.DrawProvider(f.ctx, "llama-7b", []byte("x"), nil, 5)
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = f.k.DrawProvider(f.ctx, "unknown-model", []byte("x"), nil, 5)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestDrawProviderAccept(t *testing.T) {
	f := newFixture(t)
	var ops []sdk.AccAddress
	for i := 1; i <= 5; i++ {
		ops = append(ops, f.register(t, i, int64(i)))
	}
	only := ops[0].String() // the lightest provider
	for i := 0; i < 50; i++ {
		p, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", seedOf(i), func(p types.Provider) bool { return p.Operator == only }, 5)
		require.NoError(t, err)
		// Rejected providers leave the draw, so 5 attempts always reach the only acceptable one.
		require.True(t, ok)
		require.Equal(t, only, p.Operator)
	}
	_, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", seedOf(1), func(types.Provider) bool { return false }, 100)
	require.NoError(t, err)
	require.False(t, ok)
	rejects := 0
	_, ok, err = f.k.DrawProvider(f.ctx, "llama-7b", seedOf(1), func(types.Provider) bool { rejects++; return false }, 2)
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, 2, rejects, "maxAttempts bounds the draws")
}

func TestDrawProviders(t *testing.T) {
	f := newFixture(t)
	var ops []sdk.AccAddress
	for i := 1; i <= 6; i++ {
		ops = append(ops, f.register(t, i, int64(i)))
	}
	excluded := ops[5].String() // the heaviest
	for i := 0; i < 30; i++ {
		got, err := f.k.DrawProviders(f.ctx, "llama-7b", seedOf(i), 3, func(p types.Provider) bool { return p.Operator == excluded })
		require.NoError(t, err)
		require.Len(t, got, 3)
		seen := map[string]bool{}
		for _, p := range got {
			require.NotEqual(t, excluded, p.Operator)
			require.False(t, seen[p.Operator], "duplicate %s", p.Operator)
			seen[p.Operator] = true
		}
	}
	all, err := f.k.DrawProviders(f.ctx, "llama-7b", seedOf(0), 10, nil)
	require.NoError(t, err)
	require.Len(t, all, 6, "k larger than the eligible set returns all of them")
	none, err := f.k.DrawProviders(f.ctx, "llama-7b", seedOf(0), 0, nil)
	require.NoError(t, err)
	require.Empty(t, none)

	// Without replacement, stake-weighted: the heaviest provider (6/21) is drawn first most often.
	first := map[string]int{}
	const n = 3000
	for i := 0; i < n; i++ {
		got, err := f.k.DrawProviders(f.ctx, "llama-7b", seedOf(i), 2, nil)
		require.NoError(t, err)
		first[got[0].Operator]++
	}
	p := 6.0 / 21
	require.InDelta(t, n*p, float64(first[ops[5].String()]), 4.5*math.Sqrt(n*p*(1-p)))
}

// TestTreeDoublingKeepsSums grows a tree through sizes 1..32, removing and re-adding
// providers, and checks every node after each step.
func TestTreeDoublingKeepsSums(t *testing.T) {
	f := newFixture(t)
	var ops []sdk.AccAddress
	for i := 1; i <= 20; i++ {
		ops = append(ops, f.register(t, i, int64(i%4+1), "llama-7b", "qwen2.5-0.5b"))
		checkTree(t, f, "llama-7b")
		checkTree(t, f, "qwen2.5-0.5b")
	}
	meta, err := f.k.TreeMeta.Get(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, uint64(32), meta.Size)
	require.Equal(t, uint64(21), meta.NextSlot)

	// Drop llama from every third provider: slots freed, sums still right.
	for i := 0; i < len(ops); i += 3 {
		_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: ops[i].String(), Models: []string{"qwen2.5-0.5b"}})
		require.NoError(t, err)
		checkTree(t, f, "llama-7b")
	}
	// New providers reuse the freed slots; the tree does not grow.
	for i := 21; i <= 27; i++ {
		f.register(t, i, 2)
		checkTree(t, f, "llama-7b")
	}
	meta, err = f.k.TreeMeta.Get(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, uint64(32), meta.Size)
	require.Equal(t, uint64(21), meta.NextSlot)
	checkTree(t, f, "qwen2.5-0.5b")
}
