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

	// Jobs is what kind job measured beyond its submissions (nil for other kinds).
	Jobs *JobStats `json:"jobs,omitempty"`
}

// JobStats is what a run of kind job measured after the submissions: the jobs' ends and
// the scripted workers' commits.
type JobStats struct {
	// Jobs counts the run's jobs (its submissions committed with code 0).
	Jobs int `json:"jobs"`
	// Settled jobs were paid; Audited ones were drawn for audit by x/verify (open until
	// the audit ends, which needs real verifiers); OtherEnds counts the other ends by
	// event (expired, failed, slashed, cancelled); Unfinished jobs were neither when the
	// run stopped waiting (no job ended for CommitTimeout).
	Settled    int            `json:"settled"`
	Audited    int            `json:"audited"`
	OtherEnds  map[string]int `json:"other_ends,omitempty"`
	Unfinished int            `json:"unfinished"`
	// SettleHeight is the block that settled the last settled job, SettleTime its time.
	SettleHeight int64     `json:"settle_height"`
	SettleTime   time.Time `json:"settle_time"`
	// Seconds is SettleTime - Result.StartTime (the block before the first submission's);
	// PerSecond is Settled / Seconds.
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// SettlingSeconds is the time from the block before the first settlement's to the
	// last settlement's, SettlingPerSecond Settled / SettlingSeconds: the rate at which
	// jobs settled once they did, without the pipeline's latency (submission to
	// settlement) that PerSecond counts once.
	SettlingSeconds   float64 `json:"settling_seconds"`
	SettlingPerSecond float64 `json:"settling_per_second"`
	// LatencyBlocksP50 and LatencyBlocksMax: blocks from a settled job's submission to
	// its settlement; the medians of its stages: submission to assignment, assignment to
	// the block of its result's commit tx, and that block to the settlement.
	LatencyBlocksP50 int64 `json:"latency_blocks_p50"`
	LatencyBlocksMax int64 `json:"latency_blocks_max"`
	AssignBlocksP50  int64 `json:"assign_blocks_p50"`
	CommitBlocksP50  int64 `json:"commit_blocks_p50"`
	DecideBlocksP50  int64 `json:"decide_blocks_p50"`
	// Workers is the number of scripted workers; MaxResultsPerCommit the chain's batch
	// bound; CommitGas the gas limit of a full batch (from one simulation per worker).
	Workers             int    `json:"workers"`
	MaxResultsPerCommit int    `json:"max_results_per_commit"`
	CommitGas           uint64 `json:"commit_gas"`
	// CommitTxs counts the MsgCommitResult txs committed with code 0, Results the results
	// they carried; CommitFailed the others, by reason in CommitFailures.
	CommitTxs      int            `json:"commit_txs"`
	Results        int            `json:"results"`
	CommitFailed   int            `json:"commit_failed"`
	CommitFailures map[string]int `json:"commit_failures,omitempty"`
}

// Summary is a one-line human summary.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d/%d committed (code 0) with %d accounts in %d blocks [%d..%d], %.2fs: %.1f tx/s, mean block %.1f txs (max %d), gas %d",
		r.Kind, r.Committed, r.Requested, r.Accounts, r.Blocks, r.FirstHeight, r.LastHeight,
		r.Seconds, r.TPS, r.MeanBlockTxs, r.MaxBlockTxs, r.GasLimit)
	if r.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed:", r.Failed)
		for _, k := range sortedKeys(r.Failures) {
			fmt.Fprintf(&b, " %q x%d", k, r.Failures[k])
		}
	}
	if j := r.Jobs; j != nil {
		fmt.Fprintf(&b, "; jobs: %d/%d settled by block %d, %.2fs: %.1f jobs settled/s (%.1f/s from the first settlement; submission to settlement p50 %d blocks = %d to assignment + %d to commit + %d to settlement, max %d), %d audited",
			j.Settled, j.Jobs, j.SettleHeight, j.Seconds, j.PerSecond, j.SettlingPerSecond, j.LatencyBlocksP50,
			j.AssignBlocksP50, j.CommitBlocksP50, j.DecideBlocksP50, j.LatencyBlocksMax, j.Audited)
		for _, k := range sortedKeys(j.OtherEnds) {
			fmt.Fprintf(&b, ", %d %s", j.OtherEnds[k], k)
		}
		if j.Unfinished > 0 {
			fmt.Fprintf(&b, ", %d unfinished", j.Unfinished)
		}
		mean := 0.0
		if j.CommitTxs > 0 {
			mean = float64(j.Results) / float64(j.CommitTxs)
		}
		fmt.Fprintf(&b, "; %d workers committed %d results in %d MsgCommitResult txs (%.1f each, at most %d, gas %d)",
			j.Workers, j.Results, j.CommitTxs, mean, j.MaxResultsPerCommit, j.CommitGas)
		if j.CommitFailed > 0 {
			fmt.Fprintf(&b, "; %d commits failed:", j.CommitFailed)
			for _, k := range sortedKeys(j.CommitFailures) {
				fmt.Fprintf(&b, " %q x%d", k, j.CommitFailures[k])
			}
		}
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
