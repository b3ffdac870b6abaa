package gateway

import (
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/stretchr/testify/require"
)

func TestBudgetReservesSettlesAndSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b, err := openBudget(sdkmath.NewInt(1000), dir, clock)
	require.NoError(t, err)

	h1, err := b.reserve(sdkmath.NewInt(600))
	require.NoError(t, err)
	_, err = b.reserve(sdkmath.NewInt(500))
	require.ErrorContains(t, err, "only 400 of today's budget 1000 is left")
	require.NoError(t, b.bind(h1, 7))
	h2, err := b.reserve(sdkmath.NewInt(400))
	require.NoError(t, err)
	require.NoError(t, b.release(h2), "a request that was never sent gives its hold back")
	require.Equal(t, sdkmath.NewInt(600), b.spent())

	// A restart keeps the day's total and the open job.
	b, err = openBudget(sdkmath.NewInt(1000), dir, clock)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(600), b.spent())
	require.Equal(t, []uint64{7}, b.openJobs())
	require.NoError(t, b.settle(7, sdkmath.NewInt(150)), "the job cost 150 of its 600 escrow")
	require.Equal(t, sdkmath.NewInt(150), b.spent())
	require.NoError(t, b.settle(7, sdkmath.NewInt(150)))
	require.Equal(t, sdkmath.NewInt(150), b.spent(), "a job is settled once")

	// A job reserved today and settled tomorrow changes nothing tomorrow.
	h3, err := b.reserve(sdkmath.NewInt(800))
	require.NoError(t, err)
	require.NoError(t, b.bind(h3, 8))
	now = now.Add(2 * time.Hour)
	require.Equal(t, sdkmath.ZeroInt(), b.spent(), "a new UTC day starts at zero")
	require.NoError(t, b.settle(8, sdkmath.NewInt(100)))
	require.Equal(t, sdkmath.ZeroInt(), b.spent())
	left, capped := b.remaining()
	require.True(t, capped)
	require.Equal(t, sdkmath.NewInt(1000), left)
}
