// Package worker is the Sovra worker sidecar: it finds jobs assigned to its provider,
// runs them on a local inference backend, persists each result and commits it on chain
// with the provider's worker key.
package worker

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	"github.com/sovra-network/sovra/worker/stream"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Logf logs one line.
type Logf func(format string, args ...any)

// Options are the parts of a Worker a caller may replace.
type Options struct {
	// NewBackend opens the backend of a model (default: inference.NewLlama with the
	// config's lib_dir, threads and context).
	NewBackend func(cfg *config.Config, modelID, path string) (inference.Backend, error)
	// Logf defaults to discarding.
	Logf Logf
	// ReadyTimeout bounds the wait for the chain at start (default 2 minutes).
	ReadyTimeout time.Duration
	// StreamTamperForTests is for tests only (a gateway's check that it catches a stream
	// that differs from the commitment): when set, every streamed token passes through it
	// and may be changed; the result committed on chain stays the honest one. A real
	// worker leaves it nil.
	StreamTamperForTests func(job tasktypes.Job, index int, id uint32, piece []byte) (uint32, []byte)
}

// hooks are the seams of a dishonest worker, which only tests set (export_test.go, with the
// attacks of testutil/attack); New leaves them at the honest defaults.
type hooks struct {
	// verify computes a verifier's verification (HonestVerify when nil).
	verify VerifyFunc
	// tamper, when set, changes a result before it is hashed and committed.
	tamper func(job tasktypes.Job, out inference.Result) inference.Result
}

// Worker serves one provider.
type Worker struct {
	cfg    *config.Config
	client ChainReader
	signer TxSender
	// closeChain releases the connection (nil for fakes).
	closeChain func() error
	store      *store.Store
	models     map[string]providertypes.Model
	backends   map[string]inference.Backend
	logf       Logf
	// open holds the ids of records still "built": their jobs are checked on chain at
	// every poll, since a commit sent before a restart may land after it.
	open map[uint64]bool
	// failures counts failed inference attempts per job (backend down, garbage answer).
	failures map[uint64]int
	metrics  *Metrics
	live     liveState
	// verifications holds the hash and salt of each audit this worker verifies.
	verifications *store.Store
	verify        VerifyFunc
	tamper        func(tasktypes.Job, inference.Result) inference.Result
	// rescorers score claimed outputs in one pass, per model: the backend itself when it
	// can (llama), else llama.cpp in process beside the operator's llama-server.
	rescorers map[string]inference.Rescorer
	// auditPriv and auditPub: the X25519 key audited providers seal openings to.
	auditPriv, auditPub *[32]byte
	// auditsOpen: an audit this worker is party to is still open (tick every block).
	auditsOpen bool
	// health: the last success and failure of each step of the loop (health.go).
	health loopHealth
	// streams and streamSrv: the public token stream (stream_listen), nil when off.
	streams      *stream.Hub
	streamSrv    *stream.Server
	streamTamper func(tasktypes.Job, int, uint32, []byte) (uint32, []byte)
}

// New connects to the chain, checks the worker key against the provider's registration
// and every model file against the chain's sha256, and opens the backends.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Worker, error) {
	return newWorker(ctx, cfg, opts, hooks{})
}

func newWorker(ctx context.Context, cfg *config.Config, opts Options, h hooks) (w *Worker, err error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	vst, err := store.OpenVerifications(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	kr, err := chain.OpenKeyring(cfg.KeyringBackend, cfg.KeyringDir)
	if err != nil {
		return nil, err
	}
	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			client.Close()
		}
	}()
	signer, err := chain.NewSigner(client, kr, cfg.WorkerKey, cfg.GasPrices, cfg.GasAdjustment)
	if err != nil {
		return nil, err
	}
	signer.Logf = opts.Logf
	rctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()
	height, err := client.WaitReady(rctx, opts.Logf)
	if err != nil {
		return nil, err
	}
	return startWorker(ctx, cfg, opts, h, deps{chain: client, sender: signer, closeChain: client.Close, store: st, verifications: vst, height: height})
}

// deps are what New connects and opens before it starts the worker; the unit tests pass
// fakes and temporary stores.
type deps struct {
	chain         ChainReader
	sender        TxSender
	closeChain    func() error
	store         *store.Store
	verifications *store.Store
	// height is the chain's height when it answered.
	height int64
}

// startWorker checks the worker key against the provider's registration and every model
// file against the chain's sha256, opens the backends and publishes the audit key.
func startWorker(ctx context.Context, cfg *config.Config, opts Options, h hooks, d deps) (*Worker, error) {
	if opts.NewBackend == nil {
		opts.NewBackend = DefaultBackend
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if h.verify == nil {
		h.verify = HonestVerify
	}
	client, signer, height := d.chain, d.sender, d.height
	prov, err := client.Provider(ctx, cfg.Provider)
	if err != nil {
		return nil, err
	}
	if prov.Worker != signer.Address() {
		return nil, fmt.Errorf("provider %s names worker %s, but key %q is %s: register the provider with --worker %s, "+
			"or bind this key with sovrad tx provider change-worker %s (the worker key signs either too)",
			cfg.Provider, prov.Worker, cfg.WorkerKey, signer.Address(), signer.Address(), signer.Address())
	}
	models, err := VerifyModels(ctx, cfg.Models, cfg.ModelIDs(), client.Model)
	if err != nil {
		return nil, err
	}
	auditPriv, auditPub, err := signer.AuditKey()
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg: cfg, client: client, signer: signer, closeChain: d.closeChain, store: d.store, models: models,
		backends: map[string]inference.Backend{}, logf: opts.Logf, open: map[uint64]bool{},
		failures: map[uint64]int{}, metrics: newMetrics(), verifications: d.verifications, verify: h.verify, tamper: h.tamper,
		rescorers: map[string]inference.Rescorer{}, auditPriv: auditPriv, auditPub: auditPub, health: newLoopHealth(nil),
		streamTamper: opts.StreamTamperForTests,
	}
	w.live.started = time.Now()
	w.setFollowing(FollowPolling)
	w.sawChain(height)
	for _, id := range cfg.ModelIDs() {
		b, err := opts.NewBackend(cfg, id, cfg.Models[id])
		if err != nil {
			w.closeBackends()
			return nil, fmt.Errorf("open backend for model %q: %w", id, err)
		}
		w.backends[id] = b
		r, err := w.openRescorer(cfg, b, cfg.Models[id])
		if err != nil {
			w.closeBackends()
			return nil, fmt.Errorf("model %q: %w", id, err)
		}
		w.rescorers[id] = r
	}
	if err := w.publishAuditKey(ctx, prov); err != nil {
		w.closeBackends()
		return nil, err
	}
	if err := w.startStream(prov); err != nil {
		w.closeBackends()
		return nil, err
	}
	opts.Logf("worker %s serving provider %s at height %d; models %v verified", signer.Address(), cfg.Provider, height, cfg.ModelIDs())
	return w, nil
}

// Address is the worker key's address.
func (w *Worker) Address() string { return w.signer.Address() }

// SequenceMismatches is how many times the chain refused the cached account sequence.
func (w *Worker) SequenceMismatches() int {
	return w.signer.MismatchCount()
}

// Close stops the token stream and releases the backends and the connection.
func (w *Worker) Close() error {
	if w.streamSrv != nil {
		w.streamSrv.Close()
		w.streams.Close()
	}
	w.closeBackends()
	if w.closeChain == nil {
		return nil
	}
	return w.closeChain()
}

func (w *Worker) closeBackends() {
	for id, b := range w.backends {
		if r, ok := w.rescorers[id].(inference.Backend); ok && r != b {
			_ = r.Close()
		}
		_ = b.Close()
	}
}

// openRescorer returns the backend itself when it re-scores (llama.cpp in process), or
// llama.cpp in process on the same model file beside an operator's llama-server, which
// cannot score claimed tokens (it refuses echo).
func (w *Worker) openRescorer(cfg *config.Config, b inference.Backend, path string) (inference.Rescorer, error) {
	if r, ok := b.(inference.Rescorer); ok {
		return r, nil
	}
	if cfg.LibDir == "" {
		return nil, fmt.Errorf("the %s backend cannot re-score claimed outputs (audits and result traces need it): set lib_dir to the llama.cpp libraries", cfg.Backend)
	}
	l, err := inference.NewLlama(inference.LlamaConfig{LibDir: cfg.LibDir, ModelPath: path, Threads: cfg.Threads, Context: cfg.Context})
	if err != nil {
		return nil, fmt.Errorf("open llama.cpp for re-scoring beside %s: %w", cfg.Backend, err)
	}
	return l, nil
}

// publishAuditKey sets the worker's audit key on chain when the provider's differs (first
// start, or a new worker key): audited providers seal claimed outputs to it.
func (w *Worker) publishAuditKey(ctx context.Context, prov providertypes.Provider) error {
	if bytes.Equal(prov.AuditKey, w.auditPub[:]) {
		return nil
	}
	tx, err := w.signer.Send(ctx, nil, &providertypes.MsgSetAuditKey{Worker: w.signer.Address(), AuditKey: w.auditPub[:]})
	w.reportSend(ctx, err)
	if err != nil {
		return fmt.Errorf("publish the audit key: %w", err)
	}
	w.logf("audit key %x published in %s at height %d", w.auditPub[:], tx.Hash, tx.Height)
	return nil
}

// reconcile marks records left "built" by an earlier run as committed or failed when the
// chain has moved the job on, so they are never sent again.
func (w *Worker) reconcile(ctx context.Context) error {
	recs, err := w.store.List()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Status != store.StatusBuilt {
			continue
		}
		w.open[r.JobID] = true
		job, err := w.client.Job(ctx, r.JobID)
		if err != nil {
			return err
		}
		if err := w.settleRecord(r, job); err != nil {
			return err
		}
	}
	return nil
}

// checkOpen settles the built records whose jobs are no longer assigned.
func (w *Worker) checkOpen(ctx context.Context, assigned map[uint64]bool) error {
	for id := range w.open {
		if assigned[id] {
			continue
		}
		r, err := w.store.Get(id)
		if err != nil {
			return err
		}
		if r.Status != store.StatusBuilt {
			delete(w.open, id)
			continue
		}
		job, err := w.client.Job(ctx, id)
		if err != nil {
			return err
		}
		if err := w.settleRecord(r, job); err != nil {
			return err
		}
	}
	return nil
}

// settleRecord updates a built record from the job's chain status.
func (w *Worker) settleRecord(r store.Record, job tasktypes.Job) error {
	switch job.Status {
	case tasktypes.JOB_STATUS_ASSIGNED:
		return nil // still to commit
	case tasktypes.JOB_STATUS_EXPIRED, tasktypes.JOB_STATUS_CANCELLED:
		r.Status, r.Error = store.StatusFailed, "job is "+job.Status.String()+" on chain"
		w.metrics.Jobs.WithLabelValues(OutcomeLost).Inc()
	default:
		r.Status = store.StatusCommitted
		w.metrics.Jobs.WithLabelValues(OutcomeCommitted).Inc()
		if r.CommitHeight == 0 {
			r.CommitHeight = job.CommitHeight
		}
	}
	w.logf("job %d: record marked %s (chain status %s)", r.JobID, r.Status, job.Status)
	if err := w.store.Save(r); err != nil {
		return err
	}
	delete(w.open, r.JobID)
	return nil
}

// ResendAfterBlocks is how many blocks a result whose transaction was (perhaps) broadcast
// waits before it is sent again, so that a transaction still in a mempool after a crash
// is not doubled.
const ResendAfterBlocks = 4

// pendingResult is a built result waiting for its commit transaction.
type pendingResult struct {
	rec    store.Record
	result tasktypes.JobResult
}

// Tick runs one poll: every job assigned to the provider that the store has not finished
// is run (or rebuilt from its record), persisted, then committed in batches.
func (w *Worker) Tick(ctx context.Context) (err error) {
	// The tick's health: its error, or the audits' (logged, not returned).
	var auditErr error
	defer func() { w.reportTick(ctx, errors.Join(err, auditErr)) }()
	_, height, err := w.client.Status(ctx)
	if err != nil {
		w.lostChain(err)
		return err
	}
	w.sawChain(height)
	jobs, err := w.client.AssignedJobs(ctx, w.cfg.Provider)
	if err != nil {
		return err
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Id < jobs[j].Id })
	assigned := make(map[uint64]bool, len(jobs))
	for _, j := range jobs {
		assigned[j.Id] = true
	}
	if err := w.checkOpen(ctx, assigned); err != nil {
		return err
	}
	w.dropStreams(assigned)
	// Audits first: their phases are a few blocks, a job's deadline is tens.
	if err := w.auditTick(ctx); err != nil {
		w.logf("audits: %v", err)
		auditErr = fmt.Errorf("audits: %w", err)
	}
	var ready []pendingResult
	for _, job := range jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p, ok, err := w.prepare(ctx, job, height)
		if err != nil {
			w.logf("job %d: %v", job.Id, err)
			continue
		}
		if ok {
			ready = append(ready, p)
		}
	}
	for len(ready) > 0 {
		n := min(len(ready), w.cfg.MaxResultsPerTx)
		w.commit(ctx, height, ready[:n])
		ready = ready[n:]
	}
	return nil
}

// prepare returns the job's result ready to commit, running inference when the store has
// no record. ok is false when there is nothing to send.
func (w *Worker) prepare(ctx context.Context, job tasktypes.Job, height int64) (pendingResult, bool, error) {
	rec, err := w.store.Get(job.Id)
	switch {
	case err == nil:
		if rec.Status != store.StatusBuilt {
			return pendingResult{}, false, nil // committed or failed: never sent again
		}
		if height >= job.DeadlineHeight {
			return pendingResult{}, false, nil
		}
		if rec.SentHeight > 0 && height <= rec.SentHeight+ResendAfterBlocks {
			return pendingResult{}, false, nil // an earlier transaction may still be included
		}
		res, err := w.rebuild(job, rec)
		if err != nil {
			return pendingResult{}, false, err
		}
		return pendingResult{rec: rec, result: res}, true, nil
	case !errors.Is(err, store.ErrNotFound):
		return pendingResult{}, false, err
	}
	var st *stream.Stream
	fail := func(outcome, msg string) (pendingResult, bool, error) {
		w.logf("job %d: not served: %s", job.Id, msg)
		w.failStream(job, st, msg)
		w.metrics.Jobs.WithLabelValues(outcome).Inc()
		delete(w.failures, job.Id)
		return pendingResult{}, false, w.store.Save(store.Record{JobID: job.Id, ModelID: job.ModelId, Status: store.StatusFailed, Error: msg})
	}
	if height >= job.DeadlineHeight {
		return fail(OutcomeRejected, fmt.Sprintf("deadline height %d reached at height %d", job.DeadlineHeight, height))
	}
	backend, ok := w.backends[job.ModelId]
	if !ok {
		return fail(OutcomeRejected, fmt.Sprintf("model %q is not served by this worker", job.ModelId))
	}
	req := jobRequest(job)
	st, req.OnToken = w.beginStream(job)
	start := time.Now()
	out, err := backend.Generate(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			w.failStream(job, st, "the worker stopped")
			return pendingResult{}, false, ctx.Err()
		}
		if isBadRequest(err) {
			return fail(OutcomeRejected, "inference: "+err.Error())
		}
		w.health.inference.ReportFailure(err)
		w.metrics.InferenceFailures.Inc()
		w.failures[job.Id]++
		if n := w.failures[job.Id]; n >= w.cfg.MaxInferenceAttempts {
			return fail(OutcomeGivenUp, fmt.Sprintf("inference failed %d times, last: %v", n, err))
		}
		if st != nil {
			st.Reset() // the next attempt streams from token 0
		}
		return pendingResult{}, false, fmt.Errorf("inference attempt %d of %d failed (will retry): %w", w.failures[job.Id], w.cfg.MaxInferenceAttempts, err)
	}
	if st != nil {
		st.End(string(out.Stop))
	}
	delete(w.failures, job.Id)
	w.health.inference.ReportSuccess()
	elapsed := time.Since(start)
	if w.tamper != nil {
		out = w.tamper(job, out)
	}
	w.metrics.InferenceSeconds.Observe(elapsed.Seconds())
	w.metrics.TokensGenerated.Add(float64(len(out.OutputTokens)))
	if elapsed > 0 {
		w.metrics.TokensPerSecond.Set(float64(len(out.PromptTokens)+len(out.OutputTokens)) / elapsed.Seconds())
	}
	claimed := tasktypes.Claimed{PromptTokens: out.PromptTokens, OutputTokens: out.OutputTokens, StopToken: out.StopToken}
	trace := out.Trace
	if trace.Len() == 0 {
		// A backend that records no trace (llama-server): score the output in one pass.
		if _, trace, err = w.Rescore(ctx, job, claimed, nil); err != nil {
			w.reportInference(ctx, err)
			return pendingResult{}, false, fmt.Errorf("trace the result: %w", err)
		}
	}
	res, hash, salt, err := tasktypes.BuildResult(job, w.models[job.ModelId].Sha256, claimed, []byte(out.Text), trace.Hash(), nil)
	if err != nil {
		return fail(OutcomeRejected, "build result: "+err.Error())
	}
	rec = store.Record{
		JobID: job.Id, ModelID: job.ModelId, Status: store.StatusBuilt,
		Salt: hex.EncodeToString(salt), OutputHash: hex.EncodeToString(hash[:]), Commitment: hex.EncodeToString(res.Commitment),
		PromptTokens: out.PromptTokens, OutputTokens: out.OutputTokens, StopToken: out.StopToken, Trace: &trace,
		Text: out.Text, InferenceMs: elapsed.Milliseconds(),
	}
	// Persisted (fsync) before anything is sent: the salt must outlive a crash.
	if err := w.store.Save(rec); err != nil {
		return pendingResult{}, false, fmt.Errorf("persist result: %w", err)
	}
	w.open[job.Id] = true
	w.logf("job %d: %d prompt + %d output tokens in %s", job.Id, len(out.PromptTokens), len(out.OutputTokens), elapsed.Round(time.Millisecond))
	return pendingResult{rec: rec, result: res}, true, nil
}

func jobRequest(job tasktypes.Job) inference.Request {
	return inference.Request{
		Prompt:           job.Prompt,
		MaxTokens:        int(job.MaxOutputTokens),
		Seed:             job.Sampling.Seed,
		TemperatureMilli: job.Sampling.TemperatureMilli,
		TopK:             job.Sampling.TopK,
		TopPMilli:        job.Sampling.TopPMilli,
	}
}

// rebuild re-creates a persisted result with its salt (the sealing nonce is new).
func (w *Worker) rebuild(job tasktypes.Job, rec store.Record) (tasktypes.JobResult, error) {
	salt, err := hex.DecodeString(rec.Salt)
	if err != nil || rec.Trace == nil {
		return tasktypes.JobResult{}, fmt.Errorf("the record of job %d has a malformed salt or no trace", job.Id)
	}
	claimed := tasktypes.Claimed{PromptTokens: rec.PromptTokens, OutputTokens: rec.OutputTokens, StopToken: rec.StopToken}
	res, hash, _, err := tasktypes.BuildResult(job, w.models[job.ModelId].Sha256, claimed, []byte(rec.Text), rec.Trace.Hash(), salt)
	if err != nil {
		return tasktypes.JobResult{}, err
	}
	if hex.EncodeToString(hash[:]) != rec.OutputHash {
		return tasktypes.JobResult{}, fmt.Errorf("persisted output hash %s differs from the rebuilt %x", rec.OutputHash, hash)
	}
	return res, nil
}

// isBadRequest: errors that no retry can cure (the job itself cannot be served here).
func isBadRequest(err error) bool {
	for _, e := range []error{inference.ErrInvalidRequest, inference.ErrEmptyPrompt, inference.ErrPromptTooLong, inference.ErrContextExceeded, inference.ErrUnsupportedSampling} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// commit sends one MsgCommitResult with the batch; when a batch of several fails on
// chain, each result is retried alone after re-checking its job, so one stale result
// cannot hold the others back.
func (w *Worker) commit(ctx context.Context, height int64, batch []pendingResult) {
	msg := &tasktypes.MsgCommitResult{Worker: w.signer.Address()}
	for _, p := range batch {
		msg.Results = append(msg.Results, p.result)
	}
	// The hash is recorded before the broadcast, so a restarted worker waits for that
	// transaction instead of sending a second one.
	markSent := func(hash string) error {
		for i := range batch {
			batch[i].rec.TxHash, batch[i].rec.SentHeight = hash, height
			batch[i].rec.Attempts++
			if err := w.store.Save(batch[i].rec); err != nil {
				return fmt.Errorf("persist tx hash: %w", err)
			}
		}
		return nil
	}
	tx, err := w.signer.Send(ctx, markSent, msg)
	w.reportSend(ctx, err)
	if err == nil {
		for _, p := range batch {
			r := p.rec
			r.Status, r.TxHash, r.CommitHeight = store.StatusCommitted, tx.Hash, tx.Height
			w.metrics.Jobs.WithLabelValues(OutcomeCommitted).Inc()
			if err := w.store.Save(r); err != nil {
				w.logf("job %d: committed in %s but the record was not updated: %v", r.JobID, tx.Hash, err)
			} else {
				delete(w.open, r.JobID)
			}
			w.logf("job %d: committed in tx %s at height %d", r.JobID, tx.Hash, tx.Height)
		}
		return
	}
	w.metrics.TxFailures.Inc()
	w.logf("commit of %d result(s) failed: %v", len(batch), err)
	if tx.Height > 0 {
		// Included and failed: nothing is in flight, so a retry need not wait.
		for i := range batch {
			batch[i].rec.SentHeight = 0
			_ = w.store.Save(batch[i].rec)
		}
	}
	if len(batch) == 1 || !errors.Is(err, chain.ErrTxFailed) {
		return // retried on a later poll if the job is still assigned
	}
	for _, p := range batch {
		job, err := w.client.Job(ctx, p.rec.JobID)
		if err != nil {
			continue
		}
		if job.Status != tasktypes.JOB_STATUS_ASSIGNED {
			_ = w.settleRecord(p.rec, job)
			continue
		}
		w.commit(ctx, height, []pendingResult{p})
	}
}
