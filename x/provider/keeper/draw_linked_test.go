package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/provider/types"
)

// TestDrawVerifiersOneOperatorOneVerifier: two providers linked by a key (the worker of
// one is the operator of the other: SameOperator) are never drawn for the same audit.
// Drawn together, the shared key acted for whichever the chain resolved it to, and the
// other verifier could neither commit nor reveal (found by the app simulation); and one
// operator's two providers would confirm each other as peers.
func TestDrawVerifiersOneOperatorOneVerifier(t *testing.T) {
	f := newFixture(t)
	prov := f.registerAs(t, addr(1), workerOf(1), 5, types.DefaultProfile, 0)
	a := f.registerAs(t, addr(2), workerOf(2), 9, types.DefaultProfile, 0)
	b := f.registerAs(t, workerOf(2), addr(3), 9, types.DefaultProfile, 0) // a's worker key runs b
	c := f.registerAs(t, addr(4), workerOf(4), 1, types.DefaultProfile, 0)
	d := f.registerAs(t, addr(5), workerOf(5), 1, types.DefaultProfile, 0)
	require.True(t, types.SameOperator(f.provider(t, a), f.provider(t, b)))
	p := f.provider(t, prov)
	seen := map[string]int{}
	for i := 0; i < 200; i++ {
		got, err := f.k.DrawVerifiers(f.ctx, "llama-7b", seedOf(i), 4, p, nil)
		require.NoError(t, err)
		require.Len(t, got, 3, "seed %d: a or b, c and d", i)
		for j := range got {
			for k := j + 1; k < len(got); k++ {
				require.False(t, types.SameOperator(got[j], got[k]), "seed %d: %s and %s drawn together", i, got[j].Operator, got[k].Operator)
			}
			seen[got[j].Operator]++
		}
	}
	require.Positive(t, seen[a.String()])
	require.Positive(t, seen[b.String()])
	require.Equal(t, 200, seen[c.String()])
	require.Equal(t, 200, seen[d.String()])
}
