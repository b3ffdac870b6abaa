package worker

// In-memory fakes of what the worker's loop depends on (deps.go): a chain, a transaction
// sender and an inference backend. The unit tests (loop_unit_test.go) run the real loop on
// them: no process is started and no port is opened, so they take milliseconds.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// fakeChain is an in-memory chain: jobs, audits, providers and models, a height, and a
// stream of blocks for Follow. Errors are injected per method, for its next calls.
type fakeChain struct {
	mu        sync.Mutex
	height    int64
	jobs      map[uint64]tasktypes.Job
	audits    map[uint64]verifytypes.Audit
	providers map[string]providertypes.Provider
	models    map[string]providertypes.Model
	// failNext holds the errors the next calls of a method return, in order.
	failNext map[string][]error
	calls    map[string]int
	// blocks feeds Follow; nil makes Follow fail at once (no websocket).
	blocks chan chain.Block
}

func newFakeChain(height int64) *fakeChain {
	return &fakeChain{
		height: height, jobs: map[uint64]tasktypes.Job{}, audits: map[uint64]verifytypes.Audit{},
		providers: map[string]providertypes.Provider{}, models: map[string]providertypes.Model{},
		failNext: map[string][]error{}, calls: map[string]int{},
	}
}

var _ ChainReader = (*fakeChain)(nil)

// call counts a call of method and returns the error injected for it, if any.
func (c *fakeChain) call(method string) error {
	c.calls[method]++
	if errs := c.failNext[method]; len(errs) > 0 {
		c.failNext[method] = errs[1:]
		return errs[0]
	}
	return nil
}

// fail makes the next calls of method return errs, one each.
func (c *fakeChain) fail(method string, errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failNext[method] = append(c.failNext[method], errs...)
}

func (c *fakeChain) Status(context.Context) (string, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("Status"); err != nil {
		return "", 0, err
	}
	return "sovra-unit", c.height, nil
}

func (c *fakeChain) Follow(ctx context.Context, _ time.Duration, onBlock func(chain.Block)) error {
	c.mu.Lock()
	blocks := c.blocks
	err := c.call("Follow")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if blocks == nil {
		return errors.New("fake websocket: connection refused")
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b, ok := <-blocks:
			if !ok {
				return chain.ErrFollowClosed
			}
			c.setHeight(b.Height)
			onBlock(b)
		}
	}
}

func (c *fakeChain) Job(_ context.Context, id uint64) (tasktypes.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("Job"); err != nil {
		return tasktypes.Job{}, err
	}
	j, ok := c.jobs[id]
	if !ok {
		return tasktypes.Job{}, fmt.Errorf("query job %d: not found", id)
	}
	return j, nil
}

func (c *fakeChain) AssignedJobs(_ context.Context, provider string) ([]tasktypes.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("AssignedJobs"); err != nil {
		return nil, err
	}
	var out []tasktypes.Job
	for _, j := range c.jobs {
		if j.Provider == provider && j.Status == tasktypes.JOB_STATUS_ASSIGNED {
			out = append(out, j)
		}
	}
	// Newest first: the worker must sort them itself.
	sort.Slice(out, func(a, b int) bool { return out[a].Id > out[b].Id })
	return out, nil
}

func (c *fakeChain) AuditsOf(_ context.Context, operator string) (asVerifier, asProvider []verifytypes.Audit, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("AuditsOf"); err != nil {
		return nil, nil, err
	}
	ids := make([]uint64, 0, len(c.audits))
	for id := range c.audits {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		a := c.audits[id]
		switch a.Status {
		case verifytypes.AUDIT_STATUS_OPEN, verifytypes.AUDIT_STATUS_COMMIT, verifytypes.AUDIT_STATUS_REVEAL:
		default:
			continue
		}
		if a.Provider == operator {
			asProvider = append(asProvider, a)
		}
		for _, v := range a.Verifiers {
			if v.Operator == operator {
				asVerifier = append(asVerifier, a)
				break
			}
		}
	}
	return asVerifier, asProvider, nil
}

func (c *fakeChain) Provider(_ context.Context, addr string) (providertypes.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("Provider"); err != nil {
		return providertypes.Provider{}, err
	}
	p, ok := c.providers[addr]
	if !ok {
		return providertypes.Provider{}, fmt.Errorf("query provider %s: not found", addr)
	}
	return p, nil
}

func (c *fakeChain) Model(_ context.Context, id string) (providertypes.Model, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("Model"); err != nil {
		return providertypes.Model{}, err
	}
	m, ok := c.models[id]
	if !ok {
		return providertypes.Model{}, fmt.Errorf("query model %q: not found", id)
	}
	return m, nil
}

func (c *fakeChain) setHeight(h int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h > c.height {
		c.height = h
	}
}

// advance moves the chain n blocks on and returns the new height.
func (c *fakeChain) advance(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height += n
	return c.height
}

func (c *fakeChain) job(id uint64) tasktypes.Job {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jobs[id]
}

func (c *fakeChain) putJob(j tasktypes.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jobs[j.Id] = j
}

func (c *fakeChain) setJobStatus(id uint64, s tasktypes.JobStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := c.jobs[id]
	j.Status = s
	c.jobs[id] = j
}

func (c *fakeChain) putAudit(a verifytypes.Audit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.audits[a.JobId] = a
}

// callCount is how many times method was called.
func (c *fakeChain) callCount(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// include applies the effect of an included transaction's messages: a commit moves its jobs
// to COMMITTED; a published audit key is recorded on the provider; audit messages are
// recorded on their audit (phases move only when a test moves them).
func (c *fakeChain) include(height int64, msgs []sdk.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		switch m := m.(type) {
		case *tasktypes.MsgCommitResult:
			for _, r := range m.Results {
				j := c.jobs[r.JobId]
				j.Status, j.Commitment, j.CommitHeight = tasktypes.JOB_STATUS_COMMITTED, r.Commitment, height
				j.PromptTokens, j.OutputTokens, j.SealedOutput = r.PromptTokens, r.OutputTokens, r.SealedOutput
				c.jobs[r.JobId] = j
			}
		case *providertypes.MsgSetAuditKey:
			for op, p := range c.providers {
				if p.Worker == m.Worker {
					p.AuditKey = m.AuditKey
					c.providers[op] = p
				}
			}
		case *verifytypes.MsgOpenAudit:
			for _, o := range m.Openings {
				c.updateVerifier(m.JobId, o.Verifier, func(v *verifytypes.Verifier) { v.Opening = o.Sealed })
			}
		case *verifytypes.MsgCommitVerification:
			c.updateVerifier(m.JobId, c.operatorOf(m.Signer), func(v *verifytypes.Verifier) {
				v.Commitment, v.Complained = m.Commitment, m.Complaint
			})
		case *verifytypes.MsgReveal:
			if a := c.audits[m.JobId]; a.Provider == c.operatorOf(m.Signer) {
				a.ProviderRevealed, a.ProviderHash, a.ProviderTrace = true, m.OutputHash, m.Trace
				c.audits[m.JobId] = a
				continue
			}
			c.updateVerifier(m.JobId, c.operatorOf(m.Signer), func(v *verifytypes.Verifier) {
				v.Revealed, v.OutputHash, v.Trace = true, m.OutputHash, m.Trace
			})
		case *verifytypes.MsgDiscloseOpening:
			for _, k := range m.Keys {
				c.updateVerifier(m.JobId, k.Verifier, func(v *verifytypes.Verifier) { v.OpeningKey = k.Key })
			}
		}
	}
}

// operatorOf is the provider whose worker key is addr.
func (c *fakeChain) operatorOf(addr string) string {
	for op, p := range c.providers {
		if p.Worker == addr {
			return op
		}
	}
	return ""
}

// updateVerifier changes the entry of the audit's current round for operator.
func (c *fakeChain) updateVerifier(jobID uint64, operator string, f func(*verifytypes.Verifier)) {
	a, ok := c.audits[jobID]
	if !ok {
		return
	}
	for i := range a.Verifiers {
		if a.Verifiers[i].Operator == operator && a.Verifiers[i].Round == a.Round {
			f(&a.Verifiers[i])
		}
	}
	c.audits[jobID] = a
}

// sendOutcome is what one Send does, modelled on chain.Signer.Send.
type sendOutcome int

const (
	// sendOK: signed, broadcast, included.
	sendOK sendOutcome = iota
	// sendUnreachable: the account query fails on every attempt: nothing is signed, so
	// beforeBroadcast is never called.
	sendUnreachable
	// sendBroadcastErr: each attempt is signed (beforeBroadcast called) and its broadcast
	// fails; whether the node took one is unknown.
	sendBroadcastErr
	// sendSeqRecovered: the first broadcast meets a sequence mismatch at CheckTx; the sender
	// re-queries the account and the second is included.
	sendSeqRecovered
	// sendSeqExhausted: every attempt meets a sequence mismatch until the retries run out.
	sendSeqExhausted
	// sendCheckFailed: refused at CheckTx (ErrTxFailed, no height).
	sendCheckFailed
	// sendIncludedFailed: included with a failed execution (ErrTxFailed, with a height).
	sendIncludedFailed
	// sendTimeout: broadcast but not included in time.
	sendTimeout
)

// fakeSenderAttempts mirrors chain.Signer's default Retries (5) + 1.
const fakeSenderAttempts = 6

// sentTx is one Send call as the fake saw it.
type sentTx struct {
	msgs    []sdk.Msg
	outcome sendOutcome
	// hashes are the ones given to beforeBroadcast, one per signed attempt.
	hashes []string
	result chain.TxResult
	err    error
}

// fakeSender records every Send and plays the scripted outcomes, then sendOK. Included
// transactions are applied to the fake chain at its height.
type fakeSender struct {
	mu         sync.Mutex
	chain      *fakeChain
	addr       string
	priv, pub  *[32]byte
	script     []sendOutcome
	sent       []sentTx
	mismatches int
	n          int
	// onSend, when set, runs at the start of every Send (the chain moving on meanwhile).
	onSend func(msgs []sdk.Msg)
}

var _ TxSender = (*fakeSender)(nil)

func (s *fakeSender) Address() string { return s.addr }

func (s *fakeSender) AuditKey() (priv, pub *[32]byte, err error) { return s.priv, s.pub, nil }

func (s *fakeSender) MismatchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mismatches
}

// then scripts the outcomes of the next Send calls.
func (s *fakeSender) then(outcomes ...sendOutcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, outcomes...)
}

func (s *fakeSender) Send(ctx context.Context, beforeBroadcast func(txHash string) error, msgs ...sdk.Msg) (chain.TxResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return chain.TxResult{}, err
	}
	if s.onSend != nil {
		s.onSend(msgs)
	}
	out := sendOK
	if len(s.script) > 0 {
		out, s.script = s.script[0], s.script[1:]
	}
	tx := sentTx{msgs: msgs, outcome: out}
	sign := func() error {
		s.n++
		h := fmt.Sprintf("%064X", s.n)
		tx.hashes = append(tx.hashes, h)
		if beforeBroadcast != nil {
			return beforeBroadcast(h)
		}
		return nil
	}
	height := s.chain.advance(0)
	switch out {
	case sendUnreachable:
		tx.err = fmt.Errorf("send failed after %d attempts: account %s: connection refused", fakeSenderAttempts, s.addr)
	case sendBroadcastErr, sendSeqExhausted:
		for range fakeSenderAttempts {
			if err := sign(); err != nil {
				tx.err = err
				break
			}
		}
		if tx.err == nil {
			if out == sendSeqExhausted {
				s.mismatches += fakeSenderAttempts
				tx.err = fmt.Errorf("send failed after %d attempts: sequence mismatch: account sequence mismatch, expected 9, got 8", fakeSenderAttempts)
			} else {
				tx.err = fmt.Errorf("send failed after %d attempts: broadcast: connection refused", fakeSenderAttempts)
			}
		}
	case sendOK, sendSeqRecovered:
		tries := 1
		if out == sendSeqRecovered {
			tries = 2
			s.mismatches++
		}
		for range tries {
			if err := sign(); err != nil {
				tx.err = err
				break
			}
		}
		if tx.err == nil {
			tx.result = chain.TxResult{Hash: tx.hashes[len(tx.hashes)-1], Height: height}
			s.chain.include(height, msgs)
		}
	case sendCheckFailed:
		if tx.err = sign(); tx.err == nil {
			tx.err = fmt.Errorf("%w at check: code 5 (task): job is not assigned", chain.ErrTxFailed)
		}
	case sendIncludedFailed:
		if tx.err = sign(); tx.err == nil {
			tx.result = chain.TxResult{Hash: tx.hashes[0], Height: height, Code: 7}
			tx.err = fmt.Errorf("%w: code 7 (task): job is not assigned", chain.ErrTxFailed)
		}
	case sendTimeout:
		if tx.err = sign(); tx.err == nil {
			tx.result = chain.TxResult{Hash: tx.hashes[0]}
			tx.err = fmt.Errorf("transaction %s not included after 60s", tx.hashes[0])
		}
	}
	s.sent = append(s.sent, tx)
	return tx.result, tx.err
}

// txs returns a copy of the Send calls so far.
func (s *fakeSender) txs() []sentTx {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentTx(nil), s.sent...)
}

// fakeBackend is a deterministic model: a prompt's tokens are its bytes after a BOS, the
// output is a function of the seed and the prompt, and its trace a function of the tokens.
// It re-scores (inference.Rescorer) with the same functions, so an honest verification
// matches an honest result.
type fakeBackend struct {
	mu sync.Mutex
	// failNext holds the errors of the next Generate calls.
	failNext []error
	// rescoreFail holds the errors of the next Rescore calls.
	rescoreFail []error
	// noTrace: Generate records no trace (as llama-server), so the worker re-scores.
	noTrace  bool
	requests []inference.Request
	rescores int
	closed   bool
}

var (
	_ inference.Backend  = (*fakeBackend)(nil)
	_ inference.Rescorer = (*fakeBackend)(nil)
)

func fakeTokens(prompt string) []uint32 {
	out := []uint32{1}
	for _, b := range []byte(prompt) {
		out = append(out, uint32(b)+3)
	}
	return out
}

// fakeOutput is the honest output of a request.
func fakeOutput(req inference.Request) []uint32 {
	out := make([]uint32, req.MaxTokens)
	for i := range out {
		out[i] = 100 + uint32((req.Seed+uint64(i)*7+uint64(len(req.Prompt)))%50)
	}
	return out
}

// fakeTrace is the trace of the scored tokens, with challenge values when seed is set.
func fakeTrace(scored []uint32, seed []byte) verifytypes.Trace {
	t := verifytypes.Trace{Chosen: make([]int32, len(scored)), Top: make([]int32, len(scored))}
	for i, tok := range scored {
		t.Chosen[i] = -int32(tok%5) * 1000
	}
	if len(seed) > 0 {
		t.Challenge = make([]int32, len(scored))
		for i := range t.Challenge {
			t.Challenge[i] = -int32(seed[0]) - int32(i)
		}
	}
	return t
}

func (b *fakeBackend) Generate(ctx context.Context, req inference.Request) (inference.Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests = append(b.requests, req)
	out := fakeOutput(req)
	if len(b.failNext) > 0 {
		err := b.failNext[0]
		b.failNext = b.failNext[1:]
		if req.OnToken != nil && !isBadRequest(err) {
			// The backend died mid-generation: a streaming worker had sent some tokens.
			for i := range min(2, len(out)) {
				req.OnToken(i, out[i], fakePiece(out, i))
			}
		}
		return inference.Result{}, err
	}
	res := inference.Result{
		PromptTokens: fakeTokens(req.Prompt), OutputTokens: out, StopToken: tasktypes.NoStopToken,
		Text: fmt.Sprint(out), Stop: inference.StopMaxTokens,
	}
	if req.OnToken != nil {
		for i, tok := range out {
			req.OnToken(i, tok, fakePiece(out, i))
		}
	}
	if !b.noTrace {
		res.Trace = fakeTrace(out, nil)
	}
	return res, nil
}

// fakePiece is token i's part of the fake text, fmt.Sprint(out): "[100", " 107", ..., " 121]".
func fakePiece(out []uint32, i int) []byte {
	p := fmt.Sprint(out[i])
	if i == 0 {
		p = "[" + p
	} else {
		p = " " + p
	}
	if i == len(out)-1 {
		p += "]"
	}
	return []byte(p)
}

func (b *fakeBackend) Rescore(_ context.Context, req inference.RescoreRequest) (inference.RescoreResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rescores++
	if len(b.rescoreFail) > 0 {
		err := b.rescoreFail[0]
		b.rescoreFail = b.rescoreFail[1:]
		return inference.RescoreResult{}, err
	}
	return inference.RescoreResult{PromptTokens: fakeTokens(req.Prompt), Trace: fakeTrace(req.Claimed.Scored(), req.ChallengeSeed), StopMismatch: -1}, nil
}

func (b *fakeBackend) Tokenize(prompt string) ([]uint32, error) { return fakeTokens(prompt), nil }

func (b *fakeBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *fakeBackend) failGenerate(errs ...error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext = append(b.failNext, errs...)
}

func (b *fakeBackend) generated() []inference.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]inference.Request(nil), b.requests...)
}

// fakeModel is the model id the fakes serve.
const fakeModel = "demo"

// unitRig is a worker on the fakes, with its parties' keys.
type unitRig struct {
	t       *testing.T
	ctx     context.Context
	cfg     *config.Config
	chain   *fakeChain
	sender  *fakeSender
	backend *fakeBackend
	w       *Worker
	// provider is the operator the worker serves; modelHash the model's sha256.
	provider  string
	modelHash []byte
	// submitterPriv/Pub: the output key of every job.
	submitterPriv, submitterPub *[32]byte
	// streamTamper is Options.StreamTamperForTests.
	streamTamper func(tasktypes.Job, int, uint32, []byte) (uint32, []byte)
	// verifiers are other providers, with their audit keys.
	verifiers []fakeParty
	mu        sync.Mutex
	logs      []string
}

// fakeParty is another provider: its operator address and audit key pair.
type fakeParty struct {
	operator  string
	priv, pub *[32]byte
}

var prefixesOnce sync.Once

func fakeAddr(name string) string {
	prefixesOnce.Do(app.SetAddressPrefixes)
	h := sha256.Sum256([]byte(name))
	return sdk.AccAddress(h[:20]).String()
}

func fakeKey(t testing.TB, name string) (priv, pub *[32]byte) {
	t.Helper()
	priv, pub, err := tasktypes.X25519KeyPair(sha256.Sum256([]byte("key/" + name)))
	require.NoError(t, err)
	return priv, pub
}

// rigOption changes the rig before the worker starts.
type rigOption func(r *unitRig, h *hooks)

// withHooks starts a dishonest worker.
func withHooks(h hooks) rigOption { return func(_ *unitRig, hk *hooks) { *hk = h } }

// withConfig edits the config.
func withConfig(f func(*config.Config)) rigOption { return func(r *unitRig, _ *hooks) { f(r.cfg) } }

// newUnitRig starts a worker on the fakes at height 10: one model, the provider registered
// with this worker's key and no audit key yet (start publishes it), two other providers.
func newUnitRig(t *testing.T, opts ...rigOption) *unitRig {
	t.Helper()
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "model.gguf")
	require.NoError(t, os.WriteFile(modelPath, []byte("a fake gguf"), 0o600))
	sum := sha256.Sum256([]byte("a fake gguf"))
	r := &unitRig{
		t: t, ctx: context.Background(), chain: newFakeChain(10), backend: &fakeBackend{},
		provider: fakeAddr("provider"), modelHash: sum[:],
	}
	r.submitterPriv, r.submitterPub = fakeKey(t, "submitter")
	r.cfg = &config.Config{
		ChainID: "sovra-unit", Provider: r.provider, WorkerKey: "worker",
		Models: map[string]string{fakeModel: modelPath}, DataDir: filepath.Join(dir, "data"),
		PollInterval: 10 * time.Millisecond, MaxResultsPerTx: 8, MaxInferenceAttempts: 3, Backend: config.BackendLlama,
	}
	priv, pub := fakeKey(t, "worker-audit")
	r.sender = &fakeSender{chain: r.chain, addr: fakeAddr("worker"), priv: priv, pub: pub}
	r.chain.models[fakeModel] = providertypes.Model{Id: fakeModel, Sha256: fmt.Sprintf("%x", sum)}
	r.chain.providers[r.provider] = providertypes.Provider{Operator: r.provider, Worker: r.sender.addr}
	for _, name := range []string{"verifier1", "verifier2"} {
		p := fakeParty{operator: fakeAddr(name)}
		p.priv, p.pub = fakeKey(t, name)
		r.verifiers = append(r.verifiers, p)
		r.chain.providers[p.operator] = providertypes.Provider{Operator: p.operator, Worker: fakeAddr(name + "-worker"), AuditKey: p.pub[:]}
	}
	var h hooks
	for _, o := range opts {
		o(r, &h)
	}
	r.w = r.start(h)
	return r
}

// start starts a worker on the rig's fakes and data folder (again, for a restart).
func (r *unitRig) start(h hooks) *Worker {
	r.t.Helper()
	w, err := r.tryStart(h)
	require.NoError(r.t, err)
	return w
}

func (r *unitRig) tryStart(h hooks) (*Worker, error) {
	st, err := store.Open(r.cfg.DataDir)
	require.NoError(r.t, err)
	vst, err := store.OpenVerifications(r.cfg.DataDir)
	require.NoError(r.t, err)
	opts := Options{
		NewBackend: func(*config.Config, string, string) (inference.Backend, error) { return r.backend, nil },
		Logf:       r.logf,

		StreamTamperForTests: r.streamTamper,
	}
	return startWorker(r.ctx, r.cfg, opts, h, deps{chain: r.chain, sender: r.sender, store: st, verifications: vst, height: r.chain.advance(0)})
}

func (r *unitRig) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// logged reports whether a log line contains s.
func (r *unitRig) logged(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// assign puts a job assigned to the worker's provider on the fake chain, with a deadline 20
// blocks on.
func (r *unitRig) assign(id uint64, prompt string, maxTokens uint64) tasktypes.Job {
	return r.assignTo(r.provider, id, prompt, maxTokens)
}

func (r *unitRig) assignTo(provider string, id uint64, prompt string, maxTokens uint64) tasktypes.Job {
	h := r.chain.advance(0)
	j := tasktypes.Job{
		Id: id, ModelId: fakeModel, Prompt: prompt, MaxOutputTokens: maxTokens,
		Sampling:  tasktypes.Sampling{Seed: id * 11, TemperatureMilli: 700, TopK: 40, TopPMilli: 900},
		OutputKey: r.submitterPub[:], Status: tasktypes.JOB_STATUS_ASSIGNED, Provider: provider,
		AssignHeight: h, DeadlineHeight: h + 20,
	}
	r.chain.putJob(j)
	return j
}

// tick runs one poll and requires it to succeed.
func (r *unitRig) tick() {
	r.t.Helper()
	require.NoError(r.t, r.w.Tick(r.ctx))
}

// record returns the worker's record of a job.
func (r *unitRig) record(id uint64) store.Record {
	r.t.Helper()
	rec, err := r.w.store.Get(id)
	require.NoError(r.t, err)
	return rec
}

// txsAfterStart returns the Send calls after the audit key's publication.
func (r *unitRig) txsAfterStart() []sentTx {
	txs := r.sender.txs()
	if len(txs) > 0 {
		if _, ok := txs[0].msgs[0].(*providertypes.MsgSetAuditKey); ok {
			return txs[1:]
		}
	}
	return txs
}

// jobCount is the value of sovra_worker_jobs_total{outcome}.
func (r *unitRig) jobCount(outcome string) float64 {
	return counterValue(r.w.metrics.Jobs.WithLabelValues(outcome))
}
