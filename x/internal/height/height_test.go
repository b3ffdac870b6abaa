package height_test

import (
	"math"
	"testing"

	"github.com/sovra-network/sovra/x/internal/height"
)

func TestPlus(t *testing.T) {
	for _, tc := range []struct {
		h    int64
		n    uint64
		want int64
	}{
		{0, 0, 0},
		{10, 5, 15},
		{math.MaxInt64 - 5, 5, math.MaxInt64},
		{math.MaxInt64 - 5, 6, math.MaxInt64},
		{100, math.MaxUint64, math.MaxInt64},
		{100, 1 << 63, math.MaxInt64},
		{1, math.MaxInt64 - 1, math.MaxInt64},
		{-1, 1, math.MaxInt64},
	} {
		if got := height.Plus(tc.h, tc.n); got != tc.want {
			t.Errorf("Plus(%d, %d) = %d, want %d", tc.h, tc.n, got, tc.want)
		}
	}
}
