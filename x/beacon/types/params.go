package types

import "fmt"

const (
	// DefaultHistoryWindow keeps about 14 hours of beacons at 5 s blocks.
	DefaultHistoryWindow uint64 = 10_000
	// MaxHistoryWindow bounds state: a beacon is about 200 bytes.
	MaxHistoryWindow uint64 = 1_000_000
)

// NewParams builds Params.
func NewParams(historyWindow uint64, requireVRF bool) Params {
	return Params{HistoryWindow: historyWindow, RequireVrf: requireVRF}
}

// DefaultParams keeps DefaultHistoryWindow beacons and requires a VRF proof from
// every proposer that has registered a key.
func DefaultParams() Params {
	return NewParams(DefaultHistoryWindow, true)
}

// Validate checks the params. history_window must be at least 1 so the previous
// beacon, which the next one chains from, is always kept.
func (p Params) Validate() error {
	if p.HistoryWindow < 1 {
		return fmt.Errorf("%w: history_window must be at least 1", ErrInvalidParams)
	}
	if p.HistoryWindow > MaxHistoryWindow {
		return fmt.Errorf("%w: history_window %d exceeds the maximum %d", ErrInvalidParams, p.HistoryWindow, MaxHistoryWindow)
	}
	return nil
}
