package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"
)

// ledgerFile holds the day's spending in the data directory.
const ledgerFile = "budget.json"

// budget caps what the requests of one UTC day may cost. A request reserves its whole
// escrow before it is sent; once the job's fee is known the reservation becomes the fee
// (a job that ends unserved costs nothing). The day's total is written to disk at each
// change, so a restart does not reset it.
type budget struct {
	limit sdkmath.Int // nil or zero: no cap
	path  string
	now   func() time.Time

	mu    sync.Mutex
	state ledger
}

type ledger struct {
	Day string `json:"day"` // UTC, 2006-01-02
	// Spent is the fees charged and the escrows of jobs still open, this day.
	Spent sdkmath.Int `json:"spent"`
	// Open holds each open job's reservation (by job id) with its day, so a job that ends
	// tomorrow adjusts the day it was charged to (or nothing, once that day is over).
	Open map[string]reservation `json:"open"`
}

type reservation struct {
	Day    string      `json:"day"`
	Amount sdkmath.Int `json:"amount"`
}

// hold is a reservation made before the job id is known.
type hold struct {
	day    string
	amount sdkmath.Int
}

func openBudget(limit sdkmath.Int, dataDir string, now func() time.Time) (*budget, error) {
	b := &budget{limit: limit, path: filepath.Join(dataDir, ledgerFile), now: now}
	b.state = ledger{Spent: sdkmath.ZeroInt(), Open: map[string]reservation{}}
	raw, err := os.ReadFile(b.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(raw, &b.state); err != nil {
			return nil, fmt.Errorf("%s is not a budget ledger: %w", b.path, err)
		}
		if b.state.Spent.IsNil() {
			b.state.Spent = sdkmath.ZeroInt()
		}
		if b.state.Open == nil {
			b.state.Open = map[string]reservation{}
		}
	}
	return b, nil
}

func (b *budget) today() string { return b.now().UTC().Format(time.DateOnly) }

// rollover starts a new day's total; open reservations of earlier days stay listed.
func (b *budget) rollover() {
	if d := b.today(); b.state.Day != d {
		b.state.Day, b.state.Spent = d, sdkmath.ZeroInt()
	}
}

// remaining is what today's budget still allows; ok is false when there is no cap.
func (b *budget) remaining() (sdkmath.Int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit.IsNil() || b.limit.IsZero() {
		return sdkmath.Int{}, false
	}
	b.rollover()
	return sdkmath.MaxInt(b.limit.Sub(b.state.Spent), sdkmath.ZeroInt()), true
}

// reserve takes amount from today's budget, or refuses when it does not fit.
func (b *budget) reserve(amount sdkmath.Int) (hold, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rollover()
	if !b.limit.IsNil() && b.limit.IsPositive() && b.state.Spent.Add(amount).GT(b.limit) {
		return hold{}, fmt.Errorf("the request may cost %s but only %s of today's budget %s is left (it renews at 00:00 UTC)",
			amount, sdkmath.MaxInt(b.limit.Sub(b.state.Spent), sdkmath.ZeroInt()), b.limit)
	}
	b.state.Spent = b.state.Spent.Add(amount)
	return hold{day: b.state.Day, amount: amount}, b.save()
}

// bind records a hold under its job id once the job is on chain.
func (b *budget) bind(h hold, jobID uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.Open[strconv.FormatUint(jobID, 10)] = reservation{Day: h.day, Amount: h.amount}
	return b.save()
}

// release returns an unsent request's hold.
func (b *budget) release(h hold) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.adjust(h.day, h.amount, sdkmath.ZeroInt())
	return b.save()
}

// settle replaces a job's reservation by what it cost; unknown ids change nothing, so a
// job is settled once.
func (b *budget) settle(jobID uint64, cost sdkmath.Int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := strconv.FormatUint(jobID, 10)
	r, ok := b.state.Open[id]
	if !ok {
		return nil
	}
	delete(b.state.Open, id)
	b.adjust(r.Day, r.Amount, cost)
	return b.save()
}

// openJobs lists the jobs whose cost is not known yet.
func (b *budget) openJobs() []uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]uint64, 0, len(b.state.Open))
	for id := range b.state.Open {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// spent is today's total.
func (b *budget) spent() sdkmath.Int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rollover()
	return b.state.Spent
}

func (b *budget) adjust(day string, reserved, cost sdkmath.Int) {
	b.rollover()
	if day != b.state.Day {
		return // that day's total is gone
	}
	b.state.Spent = sdkmath.MaxInt(b.state.Spent.Sub(reserved).Add(cost), sdkmath.ZeroInt())
}

func (b *budget) save() error {
	raw, err := json.Marshal(b.state)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o700); err != nil {
		return err
	}
	tmp := b.path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}
