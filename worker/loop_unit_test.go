package worker

// Unit tests of the worker's loop on the fakes of fakes_unit_test.go: jobs, inference
// retries, sends and their failures, restarts. Run them (and only them) with
// go test ./worker -run 'Unit|Fake' -count=1

import (
	"encoding/hex"
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// At start the worker checks its key against the provider's registration and the model
// files against the chain, and publishes its audit key once.
func TestUnitStart(t *testing.T) {
	r := newUnitRig(t)
	txs := r.sender.txs()
	require.Len(t, txs, 1)
	require.Equal(t, &providertypes.MsgSetAuditKey{Worker: r.sender.addr, AuditKey: r.sender.pub[:]}, txs[0].msgs[0])
	require.Equal(t, r.sender.addr, r.w.Address())

	// A restart finds the key on chain: no transaction.
	r.start(hooks{})
	require.Len(t, r.sender.txs(), 1)

	t.Run("another worker key", func(t *testing.T) {
		r := newUnitRig(t)
		p := r.chain.providers[r.provider]
		p.Worker = fakeAddr("someone else")
		r.chain.providers[r.provider] = p
		_, err := r.tryStart(hooks{})
		require.ErrorContains(t, err, "register the provider with --worker "+r.sender.addr)
	})
	t.Run("model file differs from the chain's", func(t *testing.T) {
		r := newUnitRig(t)
		m := r.chain.models[fakeModel]
		m.Sha256 = hex.EncodeToString(make([]byte, 32))
		r.chain.models[fakeModel] = m
		_, err := r.tryStart(hooks{})
		require.ErrorIs(t, err, ErrModelMismatch)
	})
	t.Run("audit key not published", func(t *testing.T) {
		r := newUnitRig(t)
		p := r.chain.providers[r.provider]
		p.AuditKey = nil
		r.chain.providers[r.provider] = p
		r.sender.then(sendUnreachable)
		_, err := r.tryStart(hooks{})
		require.ErrorContains(t, err, "publish the audit key")
	})
}

// A job assigned to the provider is run once with its request fields, persisted, and
// committed in one MsgCommitResult whose commitment opens with the persisted salt.
func TestUnitJobCommitted(t *testing.T) {
	r := newUnitRig(t)
	job := r.assign(1, "Once upon a time", 6)
	r.tick()

	reqs := r.backend.generated()
	require.Equal(t, []inference.Request{{Prompt: "Once upon a time", MaxTokens: 6, Seed: 11, TemperatureMilli: 700, TopK: 40, TopPMilli: 900}}, reqs)
	txs := r.txsAfterStart()
	require.Len(t, txs, 1)
	require.Len(t, txs[0].msgs, 1)
	msg, ok := txs[0].msgs[0].(*tasktypes.MsgCommitResult)
	require.True(t, ok, "%T", txs[0].msgs[0])
	require.Equal(t, r.sender.addr, msg.Worker)
	require.Len(t, msg.Results, 1)
	res := msg.Results[0]

	claimed := tasktypes.Claimed{PromptTokens: fakeTokens(job.Prompt), OutputTokens: fakeOutput(reqs[0]), StopToken: tasktypes.NoStopToken}
	hash := tasktypes.OutputHash(r.modelHash, job.Id, job.Sampling, claimed)
	rec := r.record(1)
	require.Equal(t, store.StatusCommitted, rec.Status)
	require.Equal(t, txs[0].hashes[0], rec.TxHash, "the hash recorded before the broadcast")
	require.Equal(t, int64(10), rec.CommitHeight)
	require.Equal(t, 1, rec.Attempts)
	require.Equal(t, hex.EncodeToString(hash[:]), rec.OutputHash)
	require.Equal(t, claimed.OutputTokens, rec.OutputTokens)
	salt, err := hex.DecodeString(rec.Salt)
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.JobId)
	require.Equal(t, tasktypes.Commitment(hash, fakeTrace(claimed.OutputTokens, nil).Hash(), salt), res.Commitment)
	require.Equal(t, uint64(len(claimed.PromptTokens)), res.PromptTokens)
	require.Equal(t, uint64(len(claimed.OutputTokens)), res.OutputTokens)
	sealed, err := tasktypes.Open(res.SealedOutput, r.submitterPub, r.submitterPriv)
	require.NoError(t, err)
	require.Equal(t, claimed.OutputTokens, sealed.OutputTokens)
	require.Equal(t, 1.0, r.jobCount(OutcomeCommitted))

	// Later polls find nothing to do.
	r.tick()
	r.tick()
	require.Len(t, r.backend.generated(), 1)
	require.Len(t, r.txsAfterStart(), 1)
	require.NoError(t, r.w.HealthCheck())
}

// A backend that records no trace (llama-server) has the output re-scored for its trace.
func TestUnitJobTracedByRescoring(t *testing.T) {
	r := newUnitRig(t)
	r.backend.noTrace = true
	r.assign(1, "no trace", 4)
	r.tick()
	require.Equal(t, 1, r.backend.rescores)
	rec := r.record(1)
	require.Equal(t, store.StatusCommitted, rec.Status)
	require.Equal(t, fakeTrace(rec.OutputTokens, nil), *rec.Trace)

	// A failed re-scoring is retried at the next poll.
	r.assign(2, "no trace again", 4)
	r.backend.rescoreFail = []error{fmt.Errorf("%w: decode", inference.ErrDecode)}
	require.NoError(t, r.w.Tick(r.ctx))
	_, err := r.w.store.Get(2)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, r.w.HealthCheck(), "inference failed")
	r.tick()
	require.Equal(t, store.StatusCommitted, r.record(2).Status)
}

// Results go out in job id order, at most max_results_per_tx per transaction.
func TestUnitCommitBatchesInJobOrder(t *testing.T) {
	r := newUnitRig(t, withConfig(func(c *config.Config) { c.MaxResultsPerTx = 2 }))
	for _, id := range []uint64{5, 3, 1, 4, 2} {
		r.assign(id, fmt.Sprintf("job %d", id), 3)
	}
	r.tick()
	var batches [][]uint64
	for _, tx := range r.txsAfterStart() {
		var ids []uint64
		for _, res := range tx.msgs[0].(*tasktypes.MsgCommitResult).Results {
			ids = append(ids, res.JobId)
		}
		batches = append(batches, ids)
	}
	require.Equal(t, [][]uint64{{1, 2}, {3, 4}, {5}}, batches)
	for id := uint64(1); id <= 5; id++ {
		require.Equal(t, store.StatusCommitted, r.record(id).Status)
	}
	require.Equal(t, 5.0, r.jobCount(OutcomeCommitted))
}

// A failed inference is retried at each poll, up to max_inference_attempts, then given up.
func TestUnitInferenceRetriesThenGivesUp(t *testing.T) {
	down := fmt.Errorf("%w: HTTP 502", inference.ErrBackend)

	t.Run("recovers", func(t *testing.T) {
		r := newUnitRig(t)
		r.assign(1, "flaky", 4)
		r.backend.failGenerate(down, down)
		for range 2 {
			r.tick()
			_, err := r.w.store.Get(1)
			require.ErrorIs(t, err, store.ErrNotFound, "nothing persisted for a failed attempt")
		}
		require.Equal(t, 2.0, counterValue(r.w.metrics.InferenceFailures))
		require.ErrorContains(t, r.w.HealthCheck(), "inference failed")
		require.Empty(t, r.txsAfterStart())
		r.tick()
		require.Equal(t, store.StatusCommitted, r.record(1).Status)
		require.Len(t, r.backend.generated(), 3)
		require.NoError(t, r.w.HealthCheck())
	})
	t.Run("gives up", func(t *testing.T) {
		r := newUnitRig(t)
		r.assign(1, "dead", 4)
		r.backend.failGenerate(down, down, down)
		for range 3 {
			r.tick()
		}
		rec := r.record(1)
		require.Equal(t, store.StatusFailed, rec.Status)
		require.Contains(t, rec.Error, "inference failed 3 times")
		require.Equal(t, 1.0, r.jobCount(OutcomeGivenUp))
		r.tick()
		require.Len(t, r.backend.generated(), 3, "never tried again")
		require.Empty(t, r.txsAfterStart())
	})
}

// A job that cannot be served here fails at once, without retries or transactions.
func TestUnitUnservableJobFailsAtOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		setup    func(r *unitRig)
		inferred int
		reason   string
	}{
		{"prompt too long", func(r *unitRig) {
			r.assign(1, "long", 4)
			r.backend.failGenerate(fmt.Errorf("%w: 9000 tokens", inference.ErrPromptTooLong))
		}, 1, "prompt does not fit"},
		{"model not served", func(r *unitRig) {
			j := r.assign(1, "other model", 4)
			j.ModelId = "elsewhere"
			r.chain.putJob(j)
		}, 0, `model "elsewhere" is not served`},
		{"deadline passed", func(r *unitRig) {
			r.assign(1, "late", 4)
			r.chain.advance(20)
		}, 0, "deadline height 30 reached at height 30"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUnitRig(t)
			c.setup(r)
			r.tick()
			r.tick()
			rec := r.record(1)
			require.Equal(t, store.StatusFailed, rec.Status)
			require.Contains(t, rec.Error, c.reason)
			require.Equal(t, 1.0, r.jobCount(OutcomeRejected))
			require.Len(t, r.backend.generated(), c.inferred)
			require.Empty(t, r.txsAfterStart())
		})
	}
}

// The worker's reaction to each way a Send fails. When a transaction may be in a mempool
// (it was signed and perhaps broadcast), the result waits ResendAfterBlocks before it is
// sent again; when nothing is in flight, it is sent at the next poll. Either way it is sent
// with the persisted salt (the same commitment).
func TestUnitSendFailures(t *testing.T) {
	for _, c := range []struct {
		name    string
		outcome sendOutcome
		// waits: the record names a transaction that may still land.
		waits bool
		// healthy: the send step stays healthy (the chain judged the transaction).
		healthy    bool
		mismatches int
	}{
		{"node unreachable, nothing signed", sendUnreachable, false, false, 0},
		{"broadcast failed", sendBroadcastErr, true, false, 0},
		{"sequence mismatches exhausted", sendSeqExhausted, true, false, fakeSenderAttempts},
		{"not included in time", sendTimeout, true, false, 0},
		{"refused at CheckTx", sendCheckFailed, true, true, 0},
		{"included and failed", sendIncludedFailed, false, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUnitRig(t)
			r.assign(1, "send me", 4)
			r.sender.then(c.outcome)
			r.tick()
			first := r.txsAfterStart()
			require.Len(t, first, 1)
			rec := r.record(1)
			require.Equal(t, store.StatusBuilt, rec.Status)
			require.Equal(t, 1.0, counterValue(r.w.metrics.TxFailures))
			require.Equal(t, c.mismatches, r.w.SequenceMismatches())
			if n := len(first[0].hashes); n > 0 {
				require.Equal(t, first[0].hashes[n-1], rec.TxHash, "the last signed transaction is recorded")
				require.Equal(t, n, rec.Attempts)
			} else {
				require.Empty(t, rec.TxHash)
			}
			if c.healthy {
				require.NoError(t, r.w.HealthCheck())
			} else {
				require.ErrorContains(t, r.w.HealthCheck(), "send failed")
			}

			r.tick()
			if c.waits {
				require.Len(t, r.txsAfterStart(), 1, "waits for the transaction that may be in a mempool")
				r.chain.advance(ResendAfterBlocks)
				r.tick()
				require.Len(t, r.txsAfterStart(), 1, "still within %d blocks", ResendAfterBlocks)
				r.chain.advance(1)
				r.tick()
			}
			txs := r.txsAfterStart()
			require.Len(t, txs, 2, "sent again")
			require.Equal(t, first[0].msgs[0].(*tasktypes.MsgCommitResult).Results[0].Commitment,
				txs[1].msgs[0].(*tasktypes.MsgCommitResult).Results[0].Commitment, "the same salt")
			rec = r.record(1)
			require.Equal(t, store.StatusCommitted, rec.Status)
			require.Equal(t, txs[1].hashes[0], rec.TxHash)
			require.Len(t, r.backend.generated(), 1, "inference ran once")
			require.NoError(t, r.w.HealthCheck())
		})
	}
}

// A sequence mismatch the sender recovers from is invisible to the loop but counted.
func TestUnitSequenceMismatchRecovered(t *testing.T) {
	r := newUnitRig(t)
	r.assign(1, "stale sequence", 4)
	r.sender.then(sendSeqRecovered)
	r.tick()
	txs := r.txsAfterStart()
	require.Len(t, txs, 1)
	require.Len(t, txs[0].hashes, 2, "signed again at the re-queried sequence")
	rec := r.record(1)
	require.Equal(t, store.StatusCommitted, rec.Status)
	require.Equal(t, txs[0].hashes[1], rec.TxHash)
	require.Equal(t, 1, r.w.SequenceMismatches())
	require.Equal(t, 0.0, counterValue(r.w.metrics.TxFailures))
}

// When a batch fails on chain, each result is re-checked and sent alone, so one stale
// result (a job that expired meanwhile) cannot hold the others back. A batch that failed
// before the chain judged it is retried as a whole at a later poll.
func TestUnitFailedBatchRetriedAlone(t *testing.T) {
	t.Run("included and failed", func(t *testing.T) {
		r := newUnitRig(t)
		for id := uint64(1); id <= 3; id++ {
			r.assign(id, fmt.Sprintf("batch %d", id), 3)
		}
		r.sender.onSend = func(msgs []sdk.Msg) {
			if _, ok := msgs[0].(*tasktypes.MsgCommitResult); ok && r.chain.job(2).Status == tasktypes.JOB_STATUS_ASSIGNED {
				r.chain.setJobStatus(2, tasktypes.JOB_STATUS_EXPIRED)
			}
		}
		r.sender.then(sendIncludedFailed)
		r.tick()
		var sent [][]uint64
		for _, tx := range r.txsAfterStart() {
			var ids []uint64
			for _, res := range tx.msgs[0].(*tasktypes.MsgCommitResult).Results {
				ids = append(ids, res.JobId)
			}
			sent = append(sent, ids)
		}
		require.Equal(t, [][]uint64{{1, 2, 3}, {1}, {3}}, sent)
		require.Equal(t, store.StatusCommitted, r.record(1).Status)
		require.Equal(t, store.StatusCommitted, r.record(3).Status)
		rec := r.record(2)
		require.Equal(t, store.StatusFailed, rec.Status)
		require.Equal(t, "job is JOB_STATUS_EXPIRED on chain", rec.Error)
		require.Equal(t, 1.0, r.jobCount(OutcomeLost))
		require.Equal(t, 2.0, r.jobCount(OutcomeCommitted))
	})
	t.Run("not broadcast", func(t *testing.T) {
		r := newUnitRig(t)
		for id := uint64(1); id <= 3; id++ {
			r.assign(id, fmt.Sprintf("batch %d", id), 3)
		}
		r.sender.then(sendUnreachable)
		r.tick()
		require.Len(t, r.txsAfterStart(), 1, "no result sent alone")
		r.tick()
		txs := r.txsAfterStart()
		require.Len(t, txs, 2)
		require.Len(t, txs[1].msgs[0].(*tasktypes.MsgCommitResult).Results, 3, "the batch again")
		for id := uint64(1); id <= 3; id++ {
			require.Equal(t, store.StatusCommitted, r.record(id).Status)
		}
	})
}

// A restarted worker settles the records an earlier run left built from the chain's view
// of their jobs, waits for a transaction that may still land, and re-sends a result that
// never left with its persisted salt, without running inference again.
func TestUnitRestartSettlesRecords(t *testing.T) {
	r := newUnitRig(t, withConfig(func(c *config.Config) { c.MaxResultsPerTx = 1 }))
	for id := uint64(1); id <= 4; id++ {
		r.assign(id, fmt.Sprintf("before the crash %d", id), 3)
	}
	// Jobs 1 to 3 were broadcast and their fate is unknown; job 4's never left.
	r.sender.then(sendTimeout, sendTimeout, sendTimeout, sendUnreachable)
	r.tick()
	before := map[uint64]store.Record{}
	for id := uint64(1); id <= 4; id++ {
		before[id] = r.record(id)
		require.Equal(t, store.StatusBuilt, before[id].Status)
	}
	// Meanwhile job 1's transaction landed, job 2 expired; job 3's was lost.
	r.chain.include(10, []sdk.Msg{&tasktypes.MsgCommitResult{Results: []tasktypes.JobResult{{JobId: 1, Commitment: []byte("c1")}}}})
	r.chain.setJobStatus(2, tasktypes.JOB_STATUS_EXPIRED)
	r.chain.advance(1)

	r.w = r.start(hooks{})
	require.NoError(t, r.w.reconcile(r.ctx))
	require.Equal(t, store.StatusCommitted, r.record(1).Status)
	require.Equal(t, int64(10), r.record(1).CommitHeight)
	require.Equal(t, store.StatusFailed, r.record(2).Status)
	require.Equal(t, store.StatusBuilt, r.record(3).Status)

	n := len(r.txsAfterStart())
	r.tick()
	txs := r.txsAfterStart()[n:]
	require.Len(t, txs, 1, "job 4 is sent at once; job 3 waits")
	require.Equal(t, uint64(4), txs[0].msgs[0].(*tasktypes.MsgCommitResult).Results[0].JobId)
	r.chain.advance(ResendAfterBlocks)
	r.tick()
	txs = r.txsAfterStart()[n:]
	require.Len(t, txs, 2)
	res := txs[1].msgs[0].(*tasktypes.MsgCommitResult).Results[0]
	require.Equal(t, uint64(3), res.JobId)
	require.Equal(t, before[3].Commitment, hex.EncodeToString(res.Commitment), "the persisted salt")
	for _, id := range []uint64{3, 4} {
		rec := r.record(id)
		require.Equal(t, store.StatusCommitted, rec.Status)
		require.Equal(t, before[id].Salt, rec.Salt)
	}
	require.Len(t, r.backend.generated(), 4, "no inference after the restart")
}

// The tamper hook (tests only: a cheating provider) changes a result before it is hashed,
// persisted and committed.
func TestUnitTamperHook(t *testing.T) {
	r := newUnitRig(t, withHooks(hooks{tamper: func(_ tasktypes.Job, out inference.Result) inference.Result {
		out.OutputTokens = out.OutputTokens[:1]
		out.Trace = fakeTrace(out.OutputTokens, nil)
		return out
	}}))
	job := r.assign(1, "cheat", 5)
	r.tick()
	rec := r.record(1)
	require.Len(t, rec.OutputTokens, 1)
	hash := tasktypes.OutputHash(r.modelHash, 1, job.Sampling, tasktypes.Claimed{PromptTokens: rec.PromptTokens, OutputTokens: rec.OutputTokens, StopToken: rec.StopToken})
	require.Equal(t, hex.EncodeToString(hash[:]), rec.OutputHash)
	require.Equal(t, uint64(1), r.txsAfterStart()[0].msgs[0].(*tasktypes.MsgCommitResult).Results[0].OutputTokens)
}
