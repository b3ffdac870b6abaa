package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReadAtLeastWaitsForTheHeightSeen: a read of a state older than the height seen
// (the node's block store ahead of its application) is read again; a read that names no
// height, or fails, is returned at once; one that never catches up is returned after
// stateLagMax.
func TestReadAtLeastWaitsForTheHeightSeen(t *testing.T) {
	ctx := context.Background()
	reads := func(heights ...int64) (func(context.Context) (int64, int64, error), *int) {
		n := 0
		return func(context.Context) (int64, int64, error) {
			at := heights[min(n, len(heights)-1)]
			n++
			return at, at, nil
		}, &n
	}
	read, n := reads(6, 6, 7)
	got, err := readAtLeast(ctx, 7, read)
	require.NoError(t, err)
	require.Equal(t, int64(7), got)
	require.Equal(t, 3, *n)

	read, n = reads(8)
	got, err = readAtLeast(ctx, 7, read)
	require.NoError(t, err)
	require.Equal(t, int64(8), got)
	require.Equal(t, 1, *n)

	read, n = reads(0)
	_, err = readAtLeast(ctx, 7, read)
	require.NoError(t, err)
	require.Equal(t, 1, *n, "no height named: taken as it is")

	calls := 0
	boom := errors.New("boom")
	_, err = readAtLeast(ctx, 7, func(context.Context) (int64, int64, error) { calls++; return 0, 5, boom })
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, calls)

	read, n = reads(6)
	start := time.Now()
	got, err = readAtLeast(ctx, 7, read)
	require.NoError(t, err)
	require.Equal(t, int64(6), got, "the last read once the node has lagged stateLagMax")
	require.GreaterOrEqual(t, time.Since(start), stateLagMax)
	require.Greater(t, *n, 10)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	read, _ = reads(6)
	_, err = readAtLeast(cctx, 7, read)
	require.ErrorIs(t, err, context.Canceled)
}
