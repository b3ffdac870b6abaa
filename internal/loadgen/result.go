package loadgen

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Result is what a run measured.
type Result struct {
	Kind     Kind   `json:"kind"`
	ChainID  string `json:"chain_id"`
	Accounts int    `json:"accounts"`
	GasLimit uint64 `json:"gas_limit"`

	// Requested is Options.Count.
	Requested int `json:"requested"`
	// Sent counts txs that broadcast_tx_sync accepted (CheckTx code 0).
	Sent int `json:"sent"`
	// Committed counts load txs found in a block with result code 0.
	Committed int `json:"committed"`
	// Failed counts txs that were not committed with code 0, by reason in Failures.
	Failed   int            `json:"failed"`
	Failures map[string]int `json:"failures,omitempty"`
	// MempoolFullRetries counts broadcasts retried because the mempool was full;
	// SequenceResyncs counts sequence mismatches that were corrected and retried.
	MempoolFullRetries int `json:"mempool_full_retries"`
	SequenceResyncs    int `json:"sequence_resyncs"`

	// FirstHeight and LastHeight are the first and last blocks holding a load tx.
	FirstHeight int64 `json:"first_height"`
	LastHeight  int64 `json:"last_height"`
	// StartTime is the time of block FirstHeight-1; FirstBlockTime and LastBlockTime
	// those of FirstHeight and LastHeight (block header times).
	StartTime      time.Time `json:"start_time"`
	FirstBlockTime time.Time `json:"first_block_time"`
	LastBlockTime  time.Time `json:"last_block_time"`
	// Blocks is LastHeight-FirstHeight+1.
	Blocks int `json:"blocks"`
	// MeanBlockTxs is the mean number of txs (of any origin) per block over
	// [FirstHeight, LastHeight]; MaxBlockTxs the largest block.
	MeanBlockTxs float64 `json:"mean_block_txs"`
	MaxBlockTxs  int     `json:"max_block_txs"`
	// Seconds is LastBlockTime - StartTime.
	Seconds float64 `json:"seconds"`
	// TPS is Committed / Seconds.
	TPS float64 `json:"tps"`
	// BroadcastSeconds is the wall time the broadcasters took (a bound on the offered
	// rate: Sent / BroadcastSeconds).
	BroadcastSeconds float64 `json:"broadcast_seconds"`
}

// Summary is a one-line human summary.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d/%d committed (code 0) with %d accounts in %d blocks [%d..%d], %.2fs: %.1f tx/s, mean block %.1f txs (max %d), gas %d",
		r.Kind, r.Committed, r.Requested, r.Accounts, r.Blocks, r.FirstHeight, r.LastHeight,
		r.Seconds, r.TPS, r.MeanBlockTxs, r.MaxBlockTxs, r.GasLimit)
	if r.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed:", r.Failed)
		reasons := make([]string, 0, len(r.Failures))
		for k := range r.Failures {
			reasons = append(reasons, k)
		}
		sort.Strings(reasons)
		for _, k := range reasons {
			fmt.Fprintf(&b, " %q x%d", k, r.Failures[k])
		}
	}
	return b.String()
}
