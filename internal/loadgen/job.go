package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/sovra-network/sovra/txclient"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// jobEnd is how one of the run's jobs ended, so far.
type jobEnd uint8

const (
	jobOpen    jobEnd = iota
	jobSettled        // paid (EventJobSettled)
	jobAudited        // drawn for audit (EventJobAuditDecision audited): open until its audit ends
	jobOther          // expired, failed, slashed or cancelled (jobState.reason)
)

// jobState is what the run saw of one job.
type jobState struct {
	tx        string // hash of the submission tx
	submitted int64
	assigned  int64
	committed int64 // the block of the commit tx that carried its result (set by the tally)
	end       jobEnd
	endHeight int64
	reason    string
}

// scriptedWorker commits the results of one provider's jobs with its worker key.
type scriptedWorker struct {
	name     string // keyring key
	key      txclient.Key
	provider string // the provider's operator address
	// client is made at the first batch, with the gas limit of a full batch.
	client *txclient.Client
	// queue holds the jobs assigned and not yet taken (guarded by runner.mu); wake says
	// that it grew.
	queue []uint64
	wake  chan struct{}
}

// jobRun is kind job's part of a runner; its maps and queues are guarded by runner.mu.
type jobRun struct {
	workers      map[string]*scriptedWorker // by provider operator
	list         []*scriptedWorker
	maxResults   int
	promptTokens uint64
	sealed       [][]byte // an output sealed to each load account's output key

	ours     map[string]int       // accepted submission tx hash → load account
	jobs     map[uint64]*jobState // every job submitted while the run followed the chain
	commits  map[string][]uint64  // accepted commit tx hash → the jobs whose results it carries
	failures map[string]int       // commits not accepted, by reason
	gas      uint64               // largest commit gas limit
	strays   map[string]int       // our jobs assigned to a provider without a worker
	lastEnd  time.Time            // when the follower last saw one of our jobs end
}

// outputKey is load account i's X25519 output key: any 32 bytes serve, the load
// generator never opens its outputs.
func (r *runner) outputKey(i int) []byte {
	key := sha256.Sum256([]byte("loadgen output key " + r.signers[i].Bech32()))
	return key[:]
}

// prepareWorkers finds the provider of each worker key (registering the key as a
// provider of the model when it is nobody's worker) and checks that every active provider
// of the model has a scripted worker; it reads max_results_per_commit.
func (r *runner) prepareWorkers(ctx context.Context) error {
	kr, err := openKeyring(r.opts.KeyringDir, r.opts.KeyringBackend)
	if err != nil {
		return err
	}
	params, err := tasktypes.NewQueryClient(r.n.queries).Params(ctx, &tasktypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("task params: %w", err)
	}
	j := &jobRun{
		workers: map[string]*scriptedWorker{}, maxResults: int(params.Params.MaxResultsPerCommit),
		promptTokens: max(1, uint64(len(r.opts.Prompt))), // at most the chain's bound, bytes + 2
		ours:         map[string]int{}, jobs: map[uint64]*jobState{}, commits: map[string][]uint64{},
		failures: map[string]int{}, strays: map[string]int{},
	}
	keys := make([]txclient.Key, len(r.opts.Workers))
	for i, name := range r.opts.Workers {
		if keys[i], err = txclient.KeyringKey(kr, name); err != nil {
			return err
		}
	}
	active, err := r.activeProviders(ctx)
	if err != nil {
		return err
	}
	registered := false
	for i, name := range r.opts.Workers {
		if _, ok := active[keys[i].Bech32()]; !ok {
			if err := r.registerProvider(ctx, name); err != nil {
				return err
			}
			registered = true
		}
	}
	if registered {
		if active, err = r.activeProviders(ctx); err != nil {
			return err
		}
	}
	for i, name := range r.opts.Workers {
		p, ok := active[keys[i].Bech32()]
		if !ok {
			return fmt.Errorf("worker key %s (%s) is not the worker of an active provider of %s", name, keys[i].Bech32(), r.opts.ModelID)
		}
		if _, dup := j.workers[p.Operator]; dup {
			return fmt.Errorf("worker key %s is given twice", name)
		}
		w := &scriptedWorker{name: name, key: keys[i], provider: p.Operator, wake: make(chan struct{}, 1)}
		j.workers[p.Operator] = w
		j.list = append(j.list, w)
	}
	for _, p := range active {
		if j.workers[p.Operator] == nil {
			return fmt.Errorf("active provider %s of %s has no scripted worker, so its jobs would never be committed: add its worker key (%s) to the workers", p.Operator, r.opts.ModelID, p.Worker)
		}
		// A provider without an audit key is never drawn as a verifier, and a job is
		// assigned only when other operators can verify it: publish one, as sovra-worker
		// does at its start.
		if len(p.AuditKey) == 0 {
			if err := r.setAuditKey(ctx, j.workers[p.Operator]); err != nil {
				return err
			}
		}
	}
	r.job = j
	fmt.Fprintf(r.opts.Log, "loadgen: %d scripted workers, results in batches of up to %d\n", len(j.list), j.maxResults)
	return nil
}

// setAuditKey publishes an X25519 audit key for w's provider (derived from the worker
// address: the scripted worker never opens an audit).
func (r *runner) setAuditKey(ctx context.Context, w *scriptedWorker) error {
	_, pub, err := tasktypes.X25519KeyPair(sha256.Sum256([]byte("loadgen audit key " + w.key.Bech32())))
	if err != nil {
		return err
	}
	msg := &providertypes.MsgSetAuditKey{Worker: w.key.Bech32(), AuditKey: pub[:]}
	return r.submitAndWait(ctx, w.key, "set the audit key of worker "+w.name, msg)
}

// activeProviders lists the active providers of the model by worker address.
func (r *runner) activeProviders(ctx context.Context) (map[string]providertypes.Provider, error) {
	out := map[string]providertypes.Provider{}
	q := providertypes.NewQueryClient(r.n.queries)
	var next []byte
	for {
		res, err := q.Providers(ctx, &providertypes.QueryProvidersRequest{
			Model: r.opts.ModelID, Pagination: &query.PageRequest{Key: next, Limit: 1000},
		})
		if err != nil {
			return nil, fmt.Errorf("providers of %s: %w", r.opts.ModelID, err)
		}
		for _, p := range res.Providers {
			if p.Status == providertypes.PROVIDER_STATUS_ACTIVE {
				out[p.Worker] = p
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		next = res.Pagination.NextKey
	}
}

// sealOutputs seals one small output to each load account (once: the chain stores the
// bytes, it cannot tell one sealed output from another).
func (r *runner) sealOutputs() error {
	tokens := make([]uint32, r.opts.MaxOutputTokens)
	for i := range tokens {
		tokens[i] = uint32(i + 1)
	}
	r.job.sealed = make([][]byte, len(r.signers))
	for i := range r.signers {
		sealed, err := tasktypes.Seal(r.outputKey(i), tasktypes.SealedPayload{Text: []byte("loadgen output"), OutputTokens: tokens})
		if err != nil {
			return err
		}
		r.job.sealed[i] = sealed
	}
	return nil
}

// observeJobs follows the run's jobs through a block: submissions (tx events), then
// assignments, handed to the provider's scripted worker, and ends (block events, and tx
// events for ends that a transaction causes).
func (r *runner) observeJobs(h int64, hashes [][]byte, res *coretypes.ResultBlockResults) error {
	type submission struct {
		id uint64
		tx string
	}
	var subs []submission
	var events []proto.Message
	for i, tx := range res.TxsResults {
		if tx.Code != 0 {
			continue
		}
		evs, err := tasktypes.ParseEvents(tx.Events)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if s, ok := e.(*tasktypes.EventJobSubmitted); ok {
				subs = append(subs, submission{s.JobId, string(hashes[i])})
			} else {
				events = append(events, e)
			}
		}
	}
	evs, err := tasktypes.ParseEvents(res.FinalizeBlockEvents)
	if err != nil {
		return err
	}
	events = append(events, evs...)

	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.job
	for _, s := range subs {
		j.jobs[s.id] = &jobState{tx: s.tx, submitted: h}
	}
	woken := map[*scriptedWorker]bool{}
	for _, e := range events {
		switch e := e.(type) {
		case *tasktypes.EventJobAssigned:
			st := j.mine(e.JobId)
			if st == nil {
				continue
			}
			st.assigned = h
			w := j.workers[e.Provider]
			if w == nil {
				j.strays[e.Provider]++
				continue
			}
			w.queue = append(w.queue, e.JobId)
			woken[w] = true
		case *tasktypes.EventJobSettled:
			j.ended(e.JobId, jobSettled, h, "")
		case *tasktypes.EventJobAuditDecision:
			if e.Audited {
				j.ended(e.JobId, jobAudited, h, "")
			}
		case *tasktypes.EventJobExpired:
			j.ended(e.JobId, jobOther, h, "expired")
		case *tasktypes.EventJobFailed:
			j.ended(e.JobId, jobOther, h, "failed")
		case *tasktypes.EventJobSlashed:
			j.ended(e.JobId, jobOther, h, "slashed")
		case *tasktypes.EventJobCancelled:
			j.ended(e.JobId, jobOther, h, "cancelled")
		}
	}
	for _, w := range j.list { // in a fixed order
		if woken[w] {
			select {
			case w.wake <- struct{}{}:
			default: // already signalled
			}
		}
	}
	return nil
}

// mine is the state of a job the run submitted (nil for anyone else's).
func (j *jobRun) mine(id uint64) *jobState {
	s := j.jobs[id]
	if s == nil {
		return nil
	}
	if _, ok := j.ours[s.tx]; !ok {
		return nil
	}
	return s
}

// ended records a job's end; a settlement or other end replaces an audit decision (the
// audit ended), nothing replaces those.
func (j *jobRun) ended(id uint64, end jobEnd, h int64, reason string) {
	s := j.mine(id)
	if s == nil || s.end == jobSettled || s.end == jobOther {
		return
	}
	s.end, s.endHeight, s.reason = end, h, reason
	j.lastEnd = time.Now()
}

// runWorker commits the results of the jobs assigned to w's provider until ctx ends.
func (r *runner) runWorker(ctx context.Context, w *scriptedWorker) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		r.mu.Lock()
		ids := w.queue
		w.queue = nil
		r.mu.Unlock()
		for len(ids) > 0 && ctx.Err() == nil {
			n := min(len(ids), r.job.maxResults)
			r.commit(ctx, w, ids[:n])
			ids = ids[n:]
		}
	}
}

// commit sends one MsgCommitResult with the results of ids: a 32-byte commitment, the
// prompt and output token counts within the job's bounds, the account's sealed output.
func (r *runner) commit(ctx context.Context, w *scriptedWorker, ids []uint64) {
	msg := &tasktypes.MsgCommitResult{Worker: w.key.Bech32(), Results: make([]tasktypes.JobResult, len(ids))}
	r.mu.Lock()
	for i, id := range ids {
		var idBytes [8]byte
		binary.BigEndian.PutUint64(idBytes[:], id)
		commitment := sha256.Sum256(append([]byte("loadgen commitment "), idBytes[:]...))
		msg.Results[i] = tasktypes.JobResult{
			JobId: id, Commitment: commitment[:], PromptTokens: r.job.promptTokens,
			OutputTokens: r.opts.MaxOutputTokens, SealedOutput: r.job.sealed[r.job.ours[r.job.jobs[id].tx]],
		}
	}
	r.mu.Unlock()
	if w.client == nil {
		gas, err := r.commitGas(ctx, w, msg)
		if err != nil {
			r.recordCommit(nil, nil, "simulate: "+reasonOf(err.Error()))
			return
		}
		r.mu.Lock()
		r.job.gas = max(r.job.gas, gas)
		r.mu.Unlock()
		w.client = txclient.New(r.enc, r.chainID, r.n.tx, w.key, txclient.Options{
			Gas: gas, Retries: maxRetries, Backoff: minBackoff, MaxBackoff: maxBackoff,
		})
	}
	hash, err := w.client.Broadcast(ctx, msg)
	r.recordCommit(hash, ids, failureReason(err))
}

// commitGas simulates w's first batch and returns the gas limit of a full one: a full
// batch costs at most ceil(max/n) batches of n (the tx's own costs, signature and bytes,
// are paid once), so the limit serves every batch without a simulation each.
func (r *runner) commitGas(ctx context.Context, w *scriptedWorker, msg *tasktypes.MsgCommitResult) (uint64, error) {
	number, seq, err := r.n.tx.Account(ctx, w.key.Bech32())
	if err != nil {
		return 0, err
	}
	acc := txclient.Account{ChainID: r.chainID, Number: number, Sequence: seq}
	probe, err := txclient.Sign(ctx, r.enc, w.key, acc, txclient.Fee{Gas: 50_000_000}, msg)
	if err != nil {
		return 0, err
	}
	used, err := r.n.tx.Simulate(ctx, probe)
	if err != nil {
		return 0, fmt.Errorf("simulate a commit of %d results: %w", len(msg.Results), err)
	}
	n := len(msg.Results)
	gas := adjustGas(used, r.opts.GasAdjustment) * uint64((r.job.maxResults+n-1)/n)
	fmt.Fprintf(r.opts.Log, "loadgen: worker %s: a commit of %d results uses %d gas; limit %d\n", w.name, n, used, gas)
	return gas, nil
}

// recordCommit notes an accepted commit tx and the jobs it carries, or why a commit was
// not sent.
func (r *runner) recordCommit(hash []byte, ids []uint64, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hash != nil {
		r.job.commits[string(hash)] = ids
		return
	}
	r.job.failures[reason]++
}

// waitForJobs waits until every job of the run is settled, drawn for audit or otherwise
// ended, or until none has ended for CommitTimeout.
func (r *runner) waitForJobs(ctx context.Context, f *follower) error {
	r.mu.Lock()
	r.job.lastEnd = time.Now()
	r.mu.Unlock()
	for {
		r.mu.Lock()
		open := 0
		for _, s := range r.job.jobs {
			if _, ok := r.job.ours[s.tx]; ok && s.end == jobOpen {
				open++
			}
		}
		idle := time.Since(r.job.lastEnd)
		r.mu.Unlock()
		if open == 0 || idle > r.opts.CommitTimeout {
			return nil
		}
		if err := f.failure(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.opts.PollInterval):
		}
	}
}

// tallyJobs counts the jobs' ends and the workers' commits, and measures jobs settled
// per second from the block before the first submission's (Result.StartTime) to the block
// that settled the last job, and the stages' latencies in blocks.
func (r *runner) tallyJobs(f *follower) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.job
	st := &JobStats{
		OtherEnds: map[string]int{}, CommitFailures: map[string]int{},
		Workers: len(j.list), MaxResultsPerCommit: j.maxResults, CommitGas: j.gas,
	}
	hashes := make([][]byte, 0, len(j.commits))
	for h := range j.commits {
		hashes = append(hashes, []byte(h))
	}
	found, _, _ := f.lookup(hashes)
	for _, h := range hashes {
		ids := j.commits[string(h)]
		o, ok := found[string(h)]
		switch {
		case !ok:
			st.CommitFailures["not in a block"]++
		case o.code == 0:
			st.CommitTxs++
			st.Results += len(ids)
			for _, id := range ids {
				j.jobs[id].committed = o.height
			}
			continue
		default:
			st.CommitFailures[fmt.Sprintf("deliver %s/%d: %s", o.codespace, o.code, reasonOf(o.log))]++
		}
		st.CommitFailed++
	}
	for reason, n := range j.failures {
		st.CommitFailures[reason] += n
		st.CommitFailed += n
	}

	var total, assign, commit, decide []int64
	firstSettle := int64(0)
	for _, s := range j.jobs {
		if _, ok := j.ours[s.tx]; !ok {
			continue
		}
		st.Jobs++
		switch s.end {
		case jobSettled:
			st.Settled++
			total = append(total, s.endHeight-s.submitted)
			if s.assigned > 0 && s.committed > 0 {
				assign = append(assign, s.assigned-s.submitted)
				commit = append(commit, s.committed-s.assigned)
				decide = append(decide, s.endHeight-s.committed)
			}
			st.SettleHeight = max(st.SettleHeight, s.endHeight)
			if firstSettle == 0 || s.endHeight < firstSettle {
				firstSettle = s.endHeight
			}
		case jobAudited:
			st.Audited++
		case jobOther:
			st.OtherEnds[s.reason]++
		default:
			st.Unfinished++
		}
	}
	for p, n := range j.strays {
		st.OtherEnds[fmt.Sprintf("assigned to %s, which has no scripted worker", p)] += n
	}
	st.LatencyBlocksP50, st.LatencyBlocksMax = median(total), largest(total)
	st.AssignBlocksP50, st.CommitBlocksP50, st.DecideBlocksP50 = median(assign), median(commit), median(decide)
	if st.SettleHeight > 0 {
		last, _ := f.block(st.SettleHeight)
		st.SettleTime = last.time
		st.Seconds = last.time.Sub(r.res.StartTime).Seconds()
		if st.Seconds > 0 {
			st.PerSecond = float64(st.Settled) / st.Seconds
		}
		if before, ok := f.block(firstSettle - 1); ok {
			st.SettlingSeconds = last.time.Sub(before.time).Seconds()
			if st.SettlingSeconds > 0 {
				st.SettlingPerSecond = float64(st.Settled) / st.SettlingSeconds
			}
		}
	}
	r.res.Jobs = st
}

// median is the middle of xs (the upper one of an even count), 0 for none; it sorts xs.
func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Slice(xs, func(a, b int) bool { return xs[a] < xs[b] })
	return xs[len(xs)/2]
}

func largest(xs []int64) int64 {
	m := int64(0)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// startWorkers runs the scripted workers until the returned stop is called.
func (r *runner) startWorkers(ctx context.Context) (stop func()) {
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, w := range r.job.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runWorker(wctx, w)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
