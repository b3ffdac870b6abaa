package keeper_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

const otherProfile = "cuda-sm89-f16-greedy-v1"

// registerAs registers a provider with a chosen operator, worker, bond, profile and
// max_jobs (0: the default).
func (f *fixture) registerAs(t testing.TB, op, worker sdk.AccAddress, bondSovra int64, profile string, maxJobs uint32) sdk.AccAddress {
	t.Helper()
	f.fund(op, bondSovra)
	msg := f.registerMsg(op, worker, bondSovra)
	msg.Profile = profile
	msg.MaxJobs = maxJobs
	_, err := f.ms.RegisterProvider(f.ctx, msg)
	require.NoError(t, err)
	if profile != noAuditKey {
		f.setAuditKey(t, worker)
	}
	return op
}

func operators(ps []types.Provider) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Operator
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TestDrawVerifiersExcludes: of a provider and twelve others, only the five that are
// ACTIVE with an audit key and bond ≥ min_bond (one of them with every job slot taken),
// not the same operator and not excluded by the caller are ever drawn, whatever their determinism profile (descriptive only: a filter on it
// would let a provider with a unique profile escape every audit).
func TestDrawVerifiersExcludes(t *testing.T) {
	f := newFixture(t)
	prov := f.registerAs(t, addr(1), workerOf(1), 5, types.DefaultProfile, 0)
	// Same operator as prov: its worker is prov's operator, or its operator is prov's worker.
	sameA := f.registerAs(t, addr(2), addr(1), 9, types.DefaultProfile, 0)
	sameB := f.registerAs(t, workerOf(1), addr(3), 9, types.DefaultProfile, 0)
	otherProf := f.registerAs(t, addr(4), workerOf(4), 9, otherProfile, 0)
	noKey := f.registerAs(t, addr(13), workerOf(13), 9, noAuditKey, 0)
	jailed := f.registerAs(t, addr(5), workerOf(5), 9, types.DefaultProfile, 0)
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, jailed))
	}
	unbonding := f.registerAs(t, addr(6), workerOf(6), 9, types.DefaultProfile, 0)
	_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: unbonding.String()})
	require.NoError(t, err)
	slashed := f.registerAs(t, addr(7), workerOf(7), 9, types.DefaultProfile, 0)
	_, err = f.k.Slash(f.ctx, slashed, sovra(9).SubRaw(500_000), slashTo, false) // 0.5 SOVRA left < min_bond
	require.NoError(t, err)
	full := f.registerAs(t, addr(8), workerOf(8), 9, types.DefaultProfile, 1)
	require.NoError(t, f.k.LockCollateral(f.ctx, full, sovra(1)))
	earlier := f.registerAs(t, addr(9), workerOf(9), 9, types.DefaultProfile, 0)
	var eligible []string
	for i := 10; i <= 12; i++ {
		eligible = append(eligible, f.registerAs(t, addr(i), workerOf(i), int64(i-9), types.DefaultProfile, 0).String())
	}
	// A provider with every job slot taken still verifies (its verifier weight is its bond).
	eligible = sorted(append(eligible, otherProf.String(), full.String()))
	checkAll(t, f)
	require.Empty(t, f.provider(t, noKey).AuditKey)
	p := f.provider(t, prov)
	require.True(t, types.SameOperator(p, f.provider(t, sameA)))
	require.True(t, types.SameOperator(p, f.provider(t, sameB)))
	require.Positive(t, f.weight(t, sameA).Int64(), "same-operator providers are in the draw, DrawVerifiers skips them")
	excludeEarlier := func(c types.Provider) bool { return c.Operator == earlier.String() }

	for i := 0; i < 100; i++ {
		got, err := f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(i), 10, p, excludeEarlier)
		require.NoError(t, err)
		require.Equal(t, eligible, sorted(operators(got)), "seed %d: exactly the eligible ones", i)
		for _, v := range got {
			require.False(t, types.SameOperator(p, v))
			require.NotEmpty(t, v.AuditKey)
			require.True(t, v.IsActive())
		}
	}
	// Without an exclude function the earlier verifier is eligible again.
	got, err := f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(0), 10, p, nil)
	require.NoError(t, err)
	require.Equal(t, sorted(append(eligible, earlier.String())), sorted(operators(got)))
	// n = 5 of exactly 5 eligible: all of them; n = 0: none.
	got, err = f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(5), 5, p, excludeEarlier)
	require.NoError(t, err)
	require.Equal(t, eligible, sorted(operators(got)))
	got, err = f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(5), 0, p, nil)
	require.NoError(t, err)
	require.Empty(t, got)
	// A provider of a profile nobody else has is verified by the others all the same; of
	// prov and the two providers linked to it, never prov with one of them (one operator
	// is one verifier): prov, or both sameA and sameB (not linked to each other).
	require.False(t, types.SameOperator(f.provider(t, sameA), f.provider(t, sameB)))
	var others []string // not otherProf's operator
	for _, e := range eligible {
		if e != otherProf.String() {
			others = append(others, e)
		}
	}
	withProv := sorted(append([]string{prov.String()}, others...))
	withLinked := sorted(append([]string{sameA.String(), sameB.String()}, others...))
	seen := map[bool]bool{}
	for i := 0; i < 50; i++ {
		got, err = f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(i), 10, f.provider(t, otherProf), excludeEarlier)
		require.NoError(t, err)
		ops := sorted(operators(got))
		require.Contains(t, [][]string{withProv, withLinked}, ops, "seed %d", i)
		seen[slices.Equal(ops, withProv)] = true
	}
	require.Len(t, seen, 2, "both outcomes occur")
	// Unknown model: none.
	got, err = f.k.DrawVerifiers(f.ctx, "no-such-model", seedOf(5), 3, p, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestDrawVerifiersDeterministic: the same seed gives the same verifiers in the same
// order; different seeds give different draws, and the first verifier is stake-weighted.
func TestDrawVerifiersDeterministic(t *testing.T) {
	f := newFixture(t)
	prov := f.register(t, 1, 5)
	for i := 2; i <= 8; i++ {
		f.register(t, i, int64(i))
	}
	p := f.provider(t, prov)
	a, err := f.k.DrawVerifiers(f.ctx, "llama-7b", []byte("audit seed"), 3, p, nil)
	require.NoError(t, err)
	require.Len(t, a, 3)
	b, err := f.k.DrawVerifiers(f.ctx, "llama-7b", []byte("audit seed"), 3, p, nil)
	require.NoError(t, err)
	require.Equal(t, a, b)

	distinct := map[string]bool{}
	first := map[string]int{}
	for i := 0; i < 500; i++ {
		got, err := f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(i), 3, p, nil)
		require.NoError(t, err)
		require.Len(t, got, 3)
		distinct[fmt.Sprint(operators(got))] = true
		first[got[0].Operator]++
	}
	require.Greater(t, len(distinct), 50)
	// Bonds 2..8 (sum 35): the heaviest is first in about 8/35 of the draws, the lightest 2/35.
	require.Greater(t, first[addr(8).String()], first[addr(2).String()]*2)
	require.Zero(t, first[prov.String()])
}

// TestDrawVerifiersManyExcluded measures how many of n = 3 verifiers DrawVerifiers finds
// among 10,000 providers when most of the stake is excluded: DrawProviders stops after
// n + DrawProvidersExtraAttempts (67) draws. Half the providers have no audit key (or
// another profile, which does not matter): all 3 are always found. With only 1% of the
// stake eligible, 67 draws find about 0.7 on average and the draw comes back short: a
// limit of the per-model tree (see the package README).
func TestDrawVerifiersManyExcluded(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 10,000 providers")
	}
	const n = 10000
	profileOf := func(i int) string {
		switch i % 4 {
		case 1:
			return noAuditKey
		case 3:
			return otherProfile
		default:
			return types.DefaultProfile
		}
	}
	measure := func(f *fixture, p types.Provider, exclude func(types.Provider) bool) (hist [4]int) {
		for s := 0; s < 300; s++ {
			got, err := f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(s), 3, p, exclude)
			require.NoError(t, err)
			for _, v := range got {
				require.NotEmpty(t, v.AuditKey)
				require.False(t, types.SameOperator(p, v))
			}
			hist[len(got)]++
		}
		return hist
	}
	f := newRegistry(t, n, profileOf)
	half := measure(f, f.provider(t, addr(2)), nil)
	t.Logf("a quarter of the providers without an audit key, a quarter of another profile: found 0/1/2/3 of 3 in %v of 300 draws", half)
	require.Equal(t, [4]int{0, 0, 0, 300}, half)

	rare := map[string]bool{} // providers 100, 200, …: 1% of them, all with an audit key
	for i := 100; i <= n; i += 100 {
		rare[addr(i).String()] = true
	}
	few := measure(f, f.provider(t, addr(2)), func(c types.Provider) bool { return !rare[c.Operator] })
	t.Logf("1%% of the providers eligible: found 0/1/2/3 of 3 in %v of 300 draws", few)
	require.Less(t, few[3], 30, "67 attempts at ~1%% eligible stake rarely find 3")
}
