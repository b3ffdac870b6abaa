// Package height adds a count of blocks (a parameter, a job's deadline) to a block height
// without overflow: heights are int64 and counts uint64, and a count set by governance or
// carried by a message may be larger than the heights left. The sum saturates at the
// largest height, which means "never" to every queue it keys.
package height

import "math"

// Plus returns h + n, or math.MaxInt64 when the sum does not fit. h must not be negative
// (a block height).
func Plus(h int64, n uint64) int64 {
	if h < 0 || n > uint64(math.MaxInt64-h) { //nolint:gosec // G115: MaxInt64-h is in [0, MaxInt64] for h >= 0
		return math.MaxInt64
	}
	return h + int64(n) //nolint:gosec // G115: n <= MaxInt64-h was checked above
}
