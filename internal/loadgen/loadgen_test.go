package loadgen

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/txclient"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

func TestReasonOfGroupsByRegisteredError(t *testing.T) {
	a := reasonOf("spendable balance 5usovra is smaller than 25usovra: insufficient funds")
	b := reasonOf("spendable balance 7usovra is smaller than 25usovra: insufficient funds")
	require.Equal(t, "insufficient funds", a)
	require.Equal(t, a, b)
	require.Equal(t, "plain", reasonOf(" plain "))
	require.LessOrEqual(t, len(reasonOf(strings.Repeat("x", 500))), 123)
}

func TestDeriveKeyIsDeterministicAndDistinct(t *testing.T) {
	require.Equal(t, DeriveKey("s", 0).Bytes(), DeriveKey("s", 0).Bytes())
	require.NotEqual(t, DeriveKey("s", 0).Bytes(), DeriveKey("s", 1).Bytes())
	require.NotEqual(t, DeriveKey("s", 0).Bytes(), DeriveKey("t", 0).Bytes())
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Options)
		want string
	}{
		{"no rpc", func(o *Options) { o.RPC = "" }, "RPC address"},
		{"bad kind", func(o *Options) { o.Kind = "stake" }, `kind "stake"`},
		{"no count", func(o *Options) { o.Count = 0 }, "count must be positive"},
		{"funder without keyring", func(o *Options) { o.FunderKey = "alice" }, "keyring dir"},
		{"negative fee", func(o *Options) { o.MaxFee = -1 }, "negative"},
		{"job without workers", func(o *Options) { o.Kind, o.KeyringDir = KindJob, "/k" }, "needs worker keys"},
		{"job without keyring", func(o *Options) { o.Kind, o.Workers = KindJob, []string{"provider1"} }, "keyring dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{RPC: "http://127.0.0.1:1", Kind: KindSend, Count: 10}
			tc.mut(&o)
			o.setDefaults()
			err := o.validate()
			require.ErrorContains(t, err, tc.want)
		})
	}
	o := Options{RPC: "http://127.0.0.1:1", Kind: KindSubmitJob, Count: 1}
	o.setDefaults()
	require.NoError(t, o.validate())
	require.Equal(t, 4, o.Concurrency)
	require.Equal(t, "usovra", o.Denom)
	o = Options{RPC: "http://127.0.0.1:1", Kind: KindJob, Count: 1, KeyringDir: "/k", ProviderKey: "provider1"}
	o.setDefaults()
	require.NoError(t, o.validate())
	require.Equal(t, []string{"provider1"}, o.Workers, "the provider key's worker by default")
}

// TestRunRejectsBadOptionsBeforeDialing: nothing listens on the address, so an error
// about the options proves they are checked first.
func TestRunRejectsBadOptionsBeforeDialing(t *testing.T) {
	_, err := Run(context.Background(), Options{RPC: "http://127.0.0.1:1", Kind: "nope", Count: 1})
	require.ErrorContains(t, err, `kind "nope"`)
}

func TestTallyMeasuresTheBlockWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &follower{blocks: map[int64]blockInfo{
		10: {time: t0, txs: 1},
		11: {time: t0.Add(1 * time.Second), txs: 3},
		12: {time: t0.Add(2 * time.Second), txs: 0},
		13: {time: t0.Add(4 * time.Second), txs: 5},
	}}
	h := func(s string) []byte { x := sha256.Sum256([]byte(s)); return x[:] }
	r := &runner{opts: Options{CommitTimeout: time.Minute}}
	r.res.Failures = map[string]int{}
	r.accepted = [][]byte{h("a"), h("b"), h("c"), h("d"), h("lost")}
	found := map[string]txOutcome{
		string(h("a")): {height: 11},
		string(h("b")): {height: 11},
		string(h("c")): {height: 13},
		string(h("d")): {height: 13, code: 5, codespace: "sdk", log: "1 < 2: insufficient funds"},
	}
	r.tally(found, f)
	res := r.res
	require.Equal(t, 3, res.Committed)
	require.Equal(t, 2, res.Failed)
	require.Equal(t, map[string]int{"deliver sdk/5: insufficient funds": 1, "not in a block within 1m0s": 1}, res.Failures)
	require.Equal(t, int64(11), res.FirstHeight)
	require.Equal(t, int64(13), res.LastHeight)
	require.Equal(t, 3, res.Blocks)
	require.Equal(t, t0, res.StartTime, "the window opens at the block before the first")
	require.Equal(t, 4.0, res.Seconds)
	require.Equal(t, 0.75, res.TPS)
	require.InDelta(t, 8.0/3, res.MeanBlockTxs, 1e-9)
	require.Equal(t, 5, res.MaxBlockTxs)
	require.Contains(t, res.Summary(), "0.8 tx/s")
	require.Contains(t, res.Summary(), `"deliver sdk/5: insufficient funds" x1`)
}

func TestFailureReasonGroupsBroadcastOutcomes(t *testing.T) {
	require.Equal(t, "", failureReason(nil))
	require.Equal(t, "not sent: context canceled", failureReason(context.Canceled))
	require.Equal(t, "checktx sdk/5: insufficient funds",
		failureReason(&txclient.CheckTxError{Codespace: "sdk", Code: 5, Log: "spendable balance 1usovra is smaller than 2usovra: insufficient funds"}))
	require.Equal(t, "broadcast: connection refused", failureReason(errors.New("send failed after 11 attempts: broadcast: post: connection refused")))
}

// jobFixture is a runner of kind job with two scripted workers (providers "provA" and
// "provB") and four load accounts' accepted submissions, tx0..tx3.
func jobFixture(t *testing.T) (*runner, map[string]*scriptedWorker) {
	t.Helper()
	r := &runner{opts: Options{Kind: KindJob, CommitTimeout: time.Minute, MaxOutputTokens: 16}}
	r.res.Failures = map[string]int{}
	r.job = &jobRun{
		workers: map[string]*scriptedWorker{}, maxResults: 64,
		ours: map[string]int{}, jobs: map[uint64]*jobState{}, commits: map[string][]uint64{},
		failures: map[string]int{}, strays: map[string]int{},
	}
	for _, p := range []string{"provA", "provB"} {
		w := &scriptedWorker{name: p, provider: p, wake: make(chan struct{}, 1)}
		r.job.workers[p] = w
		r.job.list = append(r.job.list, w)
	}
	for i := 0; i < 4; i++ {
		r.job.ours[fmt.Sprintf("tx%d", i)] = i
	}
	return r, r.job.workers
}

func typedEvents(t *testing.T, msgs ...proto.Message) []abci.Event {
	t.Helper()
	var out []abci.Event
	for _, m := range msgs {
		ev, err := sdk.TypedEventToEvent(m)
		require.NoError(t, err)
		out = append(out, abci.Event(ev))
	}
	return out
}

func TestObserveJobsFollowsTheRunsJobs(t *testing.T) {
	r, workers := jobFixture(t)
	// Block 10: jobs 1-3 submitted by our txs, job 4 by someone else's, job 5 by a tx that failed.
	res := &coretypes.ResultBlockResults{TxsResults: []*abci.ExecTxResult{
		{Events: typedEvents(t, &tasktypes.EventJobSubmitted{JobId: 1}, &tasktypes.EventJobSubmitted{JobId: 2})},
		{Events: typedEvents(t, &tasktypes.EventJobSubmitted{JobId: 3})},
		{Events: typedEvents(t, &tasktypes.EventJobSubmitted{JobId: 4})},
		{Code: 5, Events: typedEvents(t, &tasktypes.EventJobSubmitted{JobId: 5})},
	}}
	require.NoError(t, r.observeJobs(10, [][]byte{[]byte("tx0"), []byte("tx1"), []byte("theirs"), []byte("tx2")}, res))
	require.Len(t, r.job.jobs, 4, "jobs submitted by successful txs")
	require.Nil(t, r.job.mine(4), "someone else's job")

	// Block 11 assigns them: ours go to their provider's worker, which is woken; a job of
	// ours assigned to a provider without a worker is a stray.
	res = &coretypes.ResultBlockResults{FinalizeBlockEvents: typedEvents(t,
		&tasktypes.EventJobAssigned{JobId: 1, Provider: "provA"},
		&tasktypes.EventJobAssigned{JobId: 2, Provider: "provB"},
		&tasktypes.EventJobAssigned{JobId: 3, Provider: "provC"},
		&tasktypes.EventJobAssigned{JobId: 4, Provider: "provA"},
	)}
	require.NoError(t, r.observeJobs(11, nil, res))
	require.Equal(t, []uint64{1}, workers["provA"].queue)
	require.Equal(t, []uint64{2}, workers["provB"].queue)
	require.Len(t, workers["provA"].wake, 1)
	require.Equal(t, map[string]int{"provC": 1}, r.job.strays)
	require.Equal(t, int64(11), r.job.jobs[1].assigned)

	// Ends: a settlement, an audit decision that later settles, an expiry; an audit
	// decision without audit is no end; a bad event fails the block and changes nothing.
	res = &coretypes.ResultBlockResults{FinalizeBlockEvents: typedEvents(t,
		&tasktypes.EventJobAuditDecision{JobId: 1, Audited: false},
		&tasktypes.EventJobSettled{JobId: 1},
		&tasktypes.EventJobAuditDecision{JobId: 2, Audited: true},
		&tasktypes.EventJobExpired{JobId: 3},
	)}
	require.NoError(t, r.observeJobs(14, nil, res))
	require.Equal(t, jobSettled, r.job.jobs[1].end)
	require.Equal(t, jobAudited, r.job.jobs[2].end)
	require.Equal(t, jobOther, r.job.jobs[3].end)
	require.Equal(t, "expired", r.job.jobs[3].reason)
	require.NoError(t, r.observeJobs(20, nil, &coretypes.ResultBlockResults{FinalizeBlockEvents: typedEvents(t, &tasktypes.EventJobSettled{JobId: 2})}))
	require.Equal(t, jobSettled, r.job.jobs[2].end, "an audit that ends in payment settles the job")
	require.Equal(t, int64(20), r.job.jobs[2].endHeight)

	bad := abci.Event{Type: "sovra.task.v1.EventJobSettled", Attributes: []abci.EventAttribute{{Key: "job_id", Value: `"x"`}}}
	err := r.observeJobs(21, nil, &coretypes.ResultBlockResults{FinalizeBlockEvents: []abci.Event{bad}})
	require.Error(t, err)
}

func TestTallyJobsMeasuresSettlement(t *testing.T) {
	r, _ := jobFixture(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &follower{blocks: map[int64]blockInfo{}, txs: map[string]txOutcome{
		"commit1": {height: 12},
		"commit2": {height: 13, code: 7, codespace: "task", log: "job 3 is JOB_STATUS_PENDING: not assigned"},
	}}
	for h := int64(9); h <= 20; h++ {
		f.blocks[h] = blockInfo{time: t0.Add(time.Duration(h-9) * time.Second)}
	}
	r.res.StartTime = t0 // block 9, before the first submission's
	j := r.job
	j.jobs[1] = &jobState{tx: "tx0", submitted: 10, assigned: 11, end: jobSettled, endHeight: 15}
	j.jobs[2] = &jobState{tx: "tx1", submitted: 10, assigned: 11, end: jobSettled, endHeight: 16}
	j.jobs[3] = &jobState{tx: "tx2", submitted: 11, assigned: 12, end: jobAudited, endHeight: 16}
	j.jobs[4] = &jobState{tx: "tx3", submitted: 11}
	j.jobs[5] = &jobState{tx: "theirs", submitted: 11, end: jobSettled, endHeight: 20}
	j.commits["commit1"] = []uint64{1, 2}
	j.commits["commit2"] = []uint64{3}
	j.commits["lost"] = []uint64{4}
	j.failures["checktx task/7: not assigned"] = 1
	r.tallyJobs(f)
	st := r.res.Jobs
	require.Equal(t, 4, st.Jobs, "only the run's jobs")
	require.Equal(t, 2, st.Settled)
	require.Equal(t, 1, st.Audited)
	require.Equal(t, 1, st.Unfinished)
	require.Equal(t, int64(16), st.SettleHeight)
	require.Equal(t, 7.0, st.Seconds, "from block 9 to block 16")
	require.Equal(t, 2.0/7, st.PerSecond)
	require.Equal(t, 2.0/2, st.SettlingPerSecond, "from block 14, before the first settlement, to block 16")
	require.Equal(t, int64(6), st.LatencyBlocksP50)
	require.Equal(t, int64(6), st.LatencyBlocksMax)
	require.Equal(t, int64(1), st.AssignBlocksP50)
	require.Equal(t, int64(1), st.CommitBlocksP50)
	require.Equal(t, int64(4), st.DecideBlocksP50)
	require.Equal(t, 1, st.CommitTxs)
	require.Equal(t, 2, st.Results)
	require.Equal(t, 3, st.CommitFailed)
	require.Equal(t, map[string]int{
		"deliver task/7: not assigned": 1, "not in a block": 1, "checktx task/7: not assigned": 1,
	}, st.CommitFailures)
	require.Contains(t, r.res.Summary(), "2/4 settled by block 16, 7.00s: 0.3 jobs settled/s")
}
