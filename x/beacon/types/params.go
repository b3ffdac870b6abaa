package types

import "fmt"

const (
	// DefaultHistoryWindow keeps about 14 hours of beacons at 5 s blocks.
	DefaultHistoryWindow uint64 = 10_000
	// MaxHistoryWindow bounds state: a beacon is about 200 bytes.
	MaxHistoryWindow uint64 = 1_000_000
	// DefaultVRFGraceBlocks gives a new validator about 80 minutes at 5 s blocks to
	// create and register its VRF key after it is bonded.
	DefaultVRFGraceBlocks uint64 = 1_000
	// MaxVRFGraceBlocks bounds how long a keyless validator may keep making weak,
	// predictable beacons: about 58 days at 5 s blocks.
	MaxVRFGraceBlocks uint64 = 1_000_000
)

// NewParams builds Params.
func NewParams(historyWindow uint64, requireVRF bool, vrfGraceBlocks uint64) Params {
	return Params{HistoryWindow: historyWindow, RequireVrf: requireVRF, VrfGraceBlocks: vrfGraceBlocks}
}

// DefaultParams keeps DefaultHistoryWindow beacons, requires a VRF proof from every
// proposer that has registered a key, and from every other bonded validator once
// DefaultVRFGraceBlocks have passed since it was first bonded.
func DefaultParams() Params {
	return NewParams(DefaultHistoryWindow, true, DefaultVRFGraceBlocks)
}

// Validate checks the params. history_window must be at least 1 so the previous
// beacon, which the next one chains from, is always kept. vrf_grace_blocks may be 0
// (a validator must register its key before it is bonded) and at most
// MaxVRFGraceBlocks.
func (p Params) Validate() error {
	if p.HistoryWindow < 1 {
		return fmt.Errorf("%w: history_window must be at least 1", ErrInvalidParams)
	}
	if p.HistoryWindow > MaxHistoryWindow {
		return fmt.Errorf("%w: history_window %d exceeds the maximum %d", ErrInvalidParams, p.HistoryWindow, MaxHistoryWindow)
	}
	if p.VrfGraceBlocks > MaxVRFGraceBlocks {
		return fmt.Errorf("%w: vrf_grace_blocks %d exceeds the maximum %d", ErrInvalidParams, p.VrfGraceBlocks, MaxVRFGraceBlocks)
	}
	return nil
}
