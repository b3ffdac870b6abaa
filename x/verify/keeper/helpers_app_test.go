package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/curve25519"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/keeper"
	"github.com/sovra-network/sovra/x/verify/types"
)

const (
	testModel     = "demo-tiny"
	testModelHash = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
	// soloModel is served by the cheap provider alone: its audits find no verifier.
	soloModel     = "demo-solo"
	soloModelHash = "0b3f9c1d2e4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
	cpuProfile    = "cpu-x64-f32-greedy-v1"
	gpuProfile    = "gpu-sm80-f16-greedy-v1"
	promptText    = "Once upon a time" // 16 bytes: a price bound of 18 prompt tokens
	maxOutput     = 16
	promptTokens  = 4
	outputTokens  = 12 // fee = price × 16
)

type (
	collectionsPairI64  = collections.Pair[int64, uint64]
	collectionsPairI32  = collections.Pair[int32, uint64]
	collectionsPairAddr = collections.Pair[sdk.AccAddress, uint64]
)

func coin(n int64) sdk.Coin { return sdk.NewInt64Coin(app.BondDenom, n) }

func dec(s string) sdkmath.LegacyDec { return sdkmath.LegacyMustNewDecFromStr(s) }

// providerSpec is a provider the fixture registers in its first blocks.
type providerSpec struct {
	name    string // operator account; its worker account is name+"w" unless worker is set
	worker  string
	profile string
	bond    int64
	price   int64
	models  []string
	maxJobs uint32
}

// party is a registered provider with its keys.
type party struct {
	name       string
	op, worker *appfixture.Account
	spec       providerSpec
}

// setup shapes a fixture's genesis.
type setup struct {
	verify          types.Params
	rewards         rewardstypes.Params
	providers       []providerSpec
	jailBlocks      uint64
	unbondingPeriod uint64
	retentionBlocks uint64
	decisionWindow  uint64
	noVRF           bool // no VRF key and require_vrf off: a dev chain on weak beacons
	// modelTolerances, when set, registers testModel with its own trace tolerances
	// (logprob, mean milli, margin, interval).
	modelTolerances *[4]uint32
	pool            int64 // usovra the verification pool holds at genesis
}

// auditParams audit 95% of the jobs (audit_rate 1 is out of reach: the pool share must be
// ≥ audit_rate × k and the provider share positive), with one verifier, three more on a
// mismatch and 3-block phases.
func auditParams() types.Params {
	return types.Params{
		AuditRate:                 dec("0.95"),
		VerifiersPerAudit:         1,
		EscalationK:               3,
		OpenPhaseBlocks:           3,
		CommitPhaseBlocks:         3,
		RevealPhaseBlocks:         3,
		ProviderSlashFraction:     dec("0.10"),
		VerifierSlashFraction:     dec("0.02"),
		BountyFraction:            dec("0.50"),
		CollateralMultiplier:      2, // 0.95 × 2 ≥ 1
		LogprobTolerance:          64,
		MeanLogprobToleranceMilli: 16_000,
		MarginTolerance:           64,
		IntervalTolerance:         1 << 23,
	}
}

// auditRewards give the pool 0.95 ≥ audit_rate × k.
func auditRewards() rewardstypes.Params {
	return rewardstypes.Params{
		ProviderShare:     dec("0.03"),
		VerificationShare: dec("0.95"),
		ValidatorShare:    dec("0.01"),
		CommunityShare:    dec("0.01"),
		BurnShare:         sdkmath.LegacyZeroDec(),
	}
}

const (
	cheapPrice = 1_000   // prov: 34,000 for a full job
	dearPrice  = 100_000 // everyone else: 3,400,000, above every max_fee the tests use
	baseBond   = 10_000_000
	bigBond    = 100_000_000
	jobFee     = cheapPrice * (promptTokens + outputTokens) // 16,000
)

// defaultProviders: prov is the only provider cheap enough for the tests' jobs, so every
// job goes to it; v1..v5 share its profile and verify; sybil is prov's other address
// (its worker is prov's operator) and alien has another profile. Both hold ten times the
// stake so that a draw that wrongly admitted them would pick them most of the time.
func defaultProviders() []providerSpec {
	ps := []providerSpec{{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}}}
	for i := 1; i <= 5; i++ {
		ps = append(ps, providerSpec{name: fmt.Sprintf("v%d", i), profile: cpuProfile, bond: baseBond, price: dearPrice})
	}
	return append(ps,
		providerSpec{name: "sybil", worker: "prov", profile: cpuProfile, bond: bigBond, price: dearPrice},
		providerSpec{name: "alien", profile: gpuProfile, bond: bigBond, price: dearPrice},
	)
}

func defaultSetup() setup {
	return setup{
		verify: auditParams(), rewards: auditRewards(), providers: defaultProviders(),
		jailBlocks: 20, decisionWindow: 2, pool: 10_000_000_000,
	}
}

// env is a running chain with registered providers.
type env struct {
	t       *testing.T
	f       *appfixture.Fixture
	s       setup
	checker *appfixture.InvariantChecker
	parties map[string]*party // by name
	byOp    map[string]*party // by operator address
	// provHash, provTrace and provSalt are what the job's provider committed.
	provHash  map[uint64][]byte
	provTrace map[uint64]types.Trace
	provSalt  map[uint64][]byte
	ms        types.MsgServer
	qs        types.QueryServer
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	names := []string{"alice", "bob", "outsider"}
	for _, p := range s.providers {
		names = append(names, p.name)
		if p.worker == "" {
			names = append(names, p.name+"w")
		}
	}
	f := appfixture.New(t, appfixture.Options{Accounts: names, Genesis: s.genesis, NoVRFKey: s.noVRF})
	e := &env{
		t: t, f: f, s: s, parties: map[string]*party{}, byOp: map[string]*party{},
		provHash: map[uint64][]byte{}, provTrace: map[uint64]types.Trace{}, provSalt: map[uint64][]byte{},
		ms: keeper.NewMsgServerImpl(f.App.VerifyKeeper), qs: keeper.NewQueryServerImpl(f.App.VerifyKeeper),
	}
	e.checker = f.CheckEveryBlock()
	var txs []tx
	for _, spec := range s.providers {
		worker := spec.worker
		if worker == "" {
			worker = spec.name + "w"
		}
		if len(spec.models) == 0 {
			spec.models = []string{testModel}
		}
		if spec.maxJobs == 0 {
			spec.maxJobs = 1000
		}
		p := &party{name: spec.name, op: f.Accounts[spec.name], worker: f.Accounts[worker], spec: spec}
		e.parties[spec.name] = p
		e.byOp[p.op.Address.String()] = p
		txs = append(txs, tx{p.op, []sdk.Msg{&providertypes.MsgRegisterProvider{
			Operator: p.op.Address.String(), Worker: p.worker.Address.String(), Models: spec.models,
			Bond: coin(spec.bond), PricePerToken: coin(spec.price), Profile: spec.profile, MaxJobs: spec.maxJobs,
		}}})
	}
	e.mustBlock(txs...)
	// Every worker publishes its audit key, as sovra-worker does at its start.
	txs = txs[:0]
	for _, spec := range s.providers {
		p := e.parties[spec.name]
		if spec.worker != "" {
			continue // a worker shared with another provider publishes once, as that one
		}
		txs = append(txs, tx{p.worker, []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: p.worker.Address.String(), AuditKey: auditKeyOf(p.name)}}})
	}
	e.mustBlock(txs...)
	return e
}

// auditKeyOf is a provider's deterministic X25519 audit key in these tests (the chain only
// stores it; openings are opaque to it).
func auditKeyOf(name string) []byte { return tagged("audit-key/"+name, 0, nil) }

// genesis applies the setup to the module genesis states.
func (s setup) genesis(g appfixture.GenesisEditor) {
	cdc := g.App.AppCodec()
	var pg providertypes.GenesisState
	cdc.MustUnmarshalJSON(g.State[providertypes.ModuleName], &pg)
	tm := providertypes.Model{Id: testModel, Sha256: testModelHash, ContextLength: 512, Tokenizer: "llama-spm"}
	if t := s.modelTolerances; t != nil {
		tm.LogprobTolerance, tm.MeanLogprobToleranceMilli, tm.MarginTolerance, tm.IntervalTolerance = t[0], t[1], t[2], t[3]
	}
	pg.Models = append(pg.Models, tm,
		providertypes.Model{Id: soloModel, Sha256: soloModelHash, ContextLength: 512, Tokenizer: "llama-spm"})
	if s.jailBlocks > 0 {
		pg.Params.JailBlocks = s.jailBlocks
	}
	if s.unbondingPeriod > 0 {
		pg.Params.UnbondingPeriod = s.unbondingPeriod
	}
	g.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	var tg tasktypes.GenesisState
	cdc.MustUnmarshalJSON(g.State[tasktypes.ModuleName], &tg)
	tg.Params.DecisionWindow = s.decisionWindow
	tg.Params.MaxAssignAttempts = 32
	if s.retentionBlocks > 0 {
		tg.Params.RetentionBlocks = s.retentionBlocks
	}
	g.State[tasktypes.ModuleName] = cdc.MustMarshalJSON(&tg)

	if s.noVRF {
		// A chain without VRF keys uses its weak beacons only when require_vrf is off
		// (a dev chain); otherwise every decision would wait for a VRF beacon.
		var bg beacontypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[beacontypes.ModuleName], &bg)
		bg.Params.RequireVrf = false
		g.State[beacontypes.ModuleName] = cdc.MustMarshalJSON(&bg)
	}

	var rg rewardstypes.GenesisState
	cdc.MustUnmarshalJSON(g.State[rewardstypes.ModuleName], &rg)
	rg.Params = s.rewards
	g.State[rewardstypes.ModuleName] = cdc.MustMarshalJSON(&rg)

	var vg types.GenesisState
	cdc.MustUnmarshalJSON(g.State[types.ModuleName], &vg)
	vg.Params = s.verify
	g.State[types.ModuleName] = cdc.MustMarshalJSON(&vg)

	if s.pool > 0 {
		var bg banktypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[banktypes.ModuleName], &bg)
		funds := sdk.NewCoins(coin(s.pool))
		bg.Balances = append(bg.Balances, banktypes.Balance{
			Address: authtypes.NewModuleAddress(rewardstypes.VerificationPoolName).String(), Coins: funds,
		})
		bg.Supply = bg.Supply.Add(funds...)
		g.State[banktypes.ModuleName] = cdc.MustMarshalJSON(&bg)
	}
}

// tx is one transaction of a block.
type tx struct {
	acc  *appfixture.Account
	msgs []sdk.Msg
}

// block runs txs in one block and returns their results.
func (e *env) block(txs ...tx) []*abci.ExecTxResult {
	e.t.Helper()
	raw := make([][]byte, len(txs))
	for i, x := range txs {
		raw[i] = e.f.SignTxBy(e.signers(x), x.msgs...)
	}
	res := e.f.NextBlock(raw...)
	for _, x := range txs {
		for _, acc := range e.signers(x) {
			e.f.SyncSequence(acc)
		}
	}
	return res
}

// signers are the accounts that sign x: its account and, for a provider registration or
// worker change, the worker it binds, whose signature the chain requires (x/provider's
// tests send the forgeries without it).
func (e *env) signers(x tx) []*appfixture.Account {
	accs := []*appfixture.Account{x.acc}
	for _, m := range x.msgs {
		var worker string
		switch m := m.(type) {
		case *providertypes.MsgRegisterProvider:
			worker = m.Worker
		case *providertypes.MsgChangeWorker:
			worker = m.Worker
		}
		for _, acc := range e.f.Accounts {
			if worker != "" && acc.Address.String() == worker {
				accs = append(accs, acc)
			}
		}
	}
	return accs
}

// mustBlock runs txs in one block and fails unless all succeed.
func (e *env) mustBlock(txs ...tx) []*abci.ExecTxResult {
	e.t.Helper()
	res := e.block(txs...)
	if len(res) != len(txs) {
		e.t.Fatalf("height %d: %d results for %d txs", e.f.Height(), len(res), len(txs))
	}
	for i, r := range res {
		if r.Code != 0 {
			tx := txs[i] //nolint:gosec // G602: len(res) == len(txs), checked above
			e.t.Fatalf("height %d: tx %d from %s (%T) failed (code %d): %s", e.f.Height(), i, tx.acc.Name, tx.msgs[0], r.Code, r.Log)
		}
	}
	return res
}

// deliver runs one tx from acc in its own block.
func (e *env) deliver(acc *appfixture.Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	e.t.Helper()
	return e.block(tx{acc, msgs})[0]
}

// expectErr checks that a tx failed with the registered error want.
func expectErr(t *testing.T, what string, res *abci.ExecTxResult, want *errorsmod.Error) {
	t.Helper()
	if res.Code == 0 {
		t.Fatalf("%s: accepted, want %s", what, want)
	}
	if res.Codespace != want.Codespace() || res.Code != want.ABCICode() {
		t.Fatalf("%s: failed with %s/%d (%s), want %s/%d (%s)", what, res.Codespace, res.Code, res.Log, want.Codespace(), want.ABCICode(), want)
	}
}

// claimedOf is the honest claimed output of job id: 4 prompt tokens, 12 output tokens and
// the stop token 2.
func claimedOf(id uint64) tasktypes.Claimed {
	c := tasktypes.Claimed{PromptTokens: []uint32{1, 9038, 2501, 263}, StopToken: 2}
	for i := 0; i < outputTokens; i++ {
		c.OutputTokens = append(c.OutputTokens, uint32(100+(id*7+uint64(i)*13)%900))
	}
	return c
}

// honestHash is the output hash of claimedOf(id) for a demo-tiny job with default sampling.
func honestHash(id uint64) []byte {
	model, _ := hex.DecodeString(testModelHash)
	h := tasktypes.OutputHash(model, id, tasktypes.Sampling{}, claimedOf(id))
	return h[:]
}
func wrongHash(id uint64) []byte { return tagged("wrong", id, nil) }

// tracePositions is the length of a committed job's trace: its output tokens and the stop
// token (outputTokens < maxOutput: the output ended on one).
const tracePositions = outputTokens + 1

// modelTrace is what the job's model "computes" in these tests: per position a top
// log-probability within 3 nats and, for greedy jobs, the claimed token at the top.
// noise adds an engine's small deterministic difference (other hardware): at most
// ±noise units, party-specific. seed, when set, adds the challenge values of a round.
func modelTrace(id uint64, n int, party string, noise int64, seed []byte) types.Trace {
	t := types.Trace{Chosen: make([]int32, n), Top: make([]int32, n)}
	jitter := func(what string, i int) int32 {
		if noise == 0 {
			return 0
		}
		v := binary.BigEndian.Uint64(tagged(what+party, id, []byte{byte(i), byte(i >> 8)}))
		return int32(int64(v%uint64(2*noise+1)) - noise)
	}
	for i := 0; i < n; i++ {
		top := -int32(binary.BigEndian.Uint64(tagged("model-top", id, []byte{byte(i), byte(i >> 8)})) % 3000)
		t.Top[i] = top + jitter("top", i)
		t.Chosen[i] = top + jitter("chosen", i)
	}
	if seed != nil {
		t.Challenge = make([]int32, n)
		for i := range t.Challenge {
			c := -1000 - int32(binary.BigEndian.Uint64(tagged("model-challenge", id, append(append([]byte{}, seed...), byte(i), byte(i>>8))))%20000)
			t.Challenge[i] = c + jitter("challenge", i)
		}
	}
	return t
}

// honestTrace is the trace the provider commits with an honest result.
func honestTrace(id uint64) types.Trace { return modelTrace(id, tracePositions, "prov", 0, nil) }

// substituteTrace is the trace of a cheaper model: every value off by up to 300 units,
// and claimed tokens that trail the true top by up to 2 nats (what the verifiers see).
func substituteTrace(id uint64) types.Trace {
	t := modelTrace(id, tracePositions, "substitute", 300, nil)
	copy(t.Chosen, t.Top)
	return t
}

// verification is what a verifier reveals.
type verification struct {
	hash  []byte
	trace types.Trace
}

// roundSeed is the challenge seed of the audit's current round.
func (e *env) roundSeed(id uint64) []byte {
	a := e.audit(id)
	return a.ChallengeSeeds[a.Round-1]
}

// honestFor is an honest verifier's re-scoring of job id in the audit's current round.
func (e *env) honestFor(id uint64) func(*party) verification {
	seed := e.roundSeed(id)
	return func(p *party) verification {
		return verification{honestHash(id), modelTrace(id, tracePositions, p.name, 4, seed)}
	}
}

// dissentFor is a verifier's trace that contradicts an honest provider: every claimed
// token 3 nats below the top (what a griefing verifier reports, and what an honest one
// sees of a substituted token).
func (e *env) dissentFor(id uint64) func(*party) verification {
	honest := e.honestFor(id)
	return func(p *party) verification {
		v := honest(p)
		for i := range v.trace.Chosen {
			v.trace.Chosen[i] = v.trace.Top[i] - 3*types.TraceScale
		}
		return v
	}
}

func tagged(tag string, id uint64, extra []byte) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write(b[:])
	h.Write(extra)
	return h.Sum(nil)
}

// verifierSalt is a verifier's 24-byte salt for a job.
func verifierSalt(id uint64, op sdk.AccAddress) []byte { return tagged("verifier-salt", id, op)[:24] }

func (e *env) p(name string) *party {
	p, ok := e.parties[name]
	if !ok {
		e.t.Fatalf("no provider %q", name)
	}
	return p
}

// of returns the party of an operator address.
func (e *env) of(op string) *party {
	p, ok := e.byOp[op]
	if !ok {
		e.t.Fatalf("no party with operator %s", op)
	}
	return p
}

func (e *env) submitMsg(submitter, model string, maxFee int64) *tasktypes.MsgSubmitJob {
	return &tasktypes.MsgSubmitJob{
		Submitter: e.f.Accounts[submitter].Address.String(), ModelId: model, Prompt: promptText,
		MaxOutputTokens: maxOutput, MaxFee: coin(maxFee), OutputKey: curve25519.Basepoint,
	}
}

// jobIDs returns the ids of the jobs a tx submitted.
func jobIDs(t *testing.T, res *abci.ExecTxResult) []uint64 {
	t.Helper()
	ids, err := tasktypes.SubmittedJobIDs(res.Events)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// result is what a provider commits for a job: its output hash and trace.
type result func(id uint64) ([]byte, types.Trace)

// honestResult is an honest provider's result; cheatResult a substitute model's.
func honestResult(id uint64) ([]byte, types.Trace) { return honestHash(id), honestTrace(id) }
func cheatResult(id uint64) ([]byte, types.Trace)  { return wrongHash(id), substituteTrace(id) }

// resultMsg commits each job's result from the provider's worker.
func (e *env) resultMsg(p *party, ids []uint64, res result) *tasktypes.MsgCommitResult {
	msg := &tasktypes.MsgCommitResult{Worker: p.worker.Address.String()}
	for _, id := range ids {
		h, trace := res(id)
		salt := tagged("provider-salt", id, nil)[:20]
		e.provHash[id], e.provTrace[id], e.provSalt[id] = h, trace, salt
		msg.Results = append(msg.Results, tasktypes.JobResult{
			JobId: id, Commitment: tasktypes.Commitment([32]byte(h), trace.Hash(), salt),
			PromptTokens: promptTokens, OutputTokens: outputTokens, SealedOutput: []byte("sealed"),
		})
	}
	return msg
}

// auditedJob submits jobs of maxFee from alice until one is audited (each is committed
// by prov with res) and returns it with alice's balance before its submission. Jobs the
// decision leaves unaudited settle and are counted in tries.
func (e *env) auditedJob(maxFee int64, res result) (id uint64, aliceBefore sdkmath.Int, tries int) {
	e.t.Helper()
	prov := e.p("prov")
	return e.auditedJobCommit(maxFee, func(id uint64) *tasktypes.MsgCommitResult { return e.resultMsg(prov, []uint64{id}, res) })
}

// auditedJobCommit is auditedJob with the provider's commit message built by commit.
func (e *env) auditedJobCommit(maxFee int64, commit func(id uint64) *tasktypes.MsgCommitResult) (id uint64, aliceBefore sdkmath.Int, tries int) {
	e.t.Helper()
	prov, alice := e.p("prov"), e.f.Accounts["alice"]
	for tries = 1; tries <= 20; tries++ {
		aliceBefore = e.f.Balance(alice.Address)
		id = jobIDs(e.t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", testModel, maxFee)}})[0])[0]
		e.f.NextBlock()
		if j := e.job(id); j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != prov.op.Address.String() {
			e.t.Fatalf("job %d: %s to %s, want ASSIGNED to prov", id, j.Status, j.Provider)
		}
		e.mustBlock(tx{prov.worker, []sdk.Msg{commit(id)}})
		e.advanceUntil(10, func() bool { return e.job(id).Status != tasktypes.JOB_STATUS_COMMITTED })
		switch s := e.job(id).Status; s {
		case tasktypes.JOB_STATUS_AUDITING:
			return id, aliceBefore, tries
		case tasktypes.JOB_STATUS_SETTLED:
			continue
		default:
			e.t.Fatalf("job %d: %s after its decision", id, s)
		}
	}
	e.t.Fatal("no job audited in 20 tries")
	return 0, aliceBefore, tries
}

func (e *env) advanceUntil(limit int, cond func() bool) {
	e.t.Helper()
	for i := 0; i < limit && !cond(); i++ {
		e.f.NextBlock()
	}
	if !cond() {
		e.t.Fatalf("condition not reached within %d blocks (height %d)", limit, e.f.Height())
	}
}

// advanceTo runs empty blocks until height h is committed.
func (e *env) advanceTo(h int64) {
	e.t.Helper()
	for e.f.Height() < h {
		e.f.NextBlock()
	}
}

func (e *env) job(id uint64) tasktypes.Job {
	e.t.Helper()
	j, err := e.f.App.TaskKeeper.GetJob(e.f.Ctx(), id)
	if err != nil {
		e.t.Fatalf("job %d: %v", id, err)
	}
	return j
}

func (e *env) audit(id uint64) types.Audit {
	e.t.Helper()
	a, err := e.f.App.VerifyKeeper.Audits.Get(e.f.Ctx(), id)
	if err != nil {
		e.t.Fatalf("audit of job %d: %v", id, err)
	}
	return a
}

func (e *env) stats() types.Stats {
	e.t.Helper()
	res, err := e.qs.Stats(e.f.Ctx(), &types.QueryStatsRequest{})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Stats
}

func (e *env) provider(name string) providertypes.Provider {
	e.t.Helper()
	p, err := e.f.App.ProviderKeeper.GetProvider(e.f.Ctx(), e.p(name).op.Address)
	if err != nil {
		e.t.Fatalf("provider %s: %v", name, err)
	}
	return p
}

// pending returns addr's unclaimed rewards from one source.
func (e *env) pending(addr sdk.AccAddress, source string) sdkmath.Int {
	e.t.Helper()
	_, bySource, err := e.f.App.RewardsKeeper.Pending(e.f.Ctx(), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range bySource {
		if a.Source == source {
			return a.Amount.AmountOf(app.BondDenom)
		}
	}
	return sdkmath.ZeroInt()
}

func (e *env) poolBalance() sdkmath.Int {
	return e.f.Balance(e.f.App.RewardsKeeper.VerificationPoolAddress())
}

// round returns the verifiers of one round of an audit.
func round(a types.Audit, r uint32) []types.Verifier {
	var out []types.Verifier
	for _, v := range a.Verifiers {
		if v.Round == r {
			out = append(out, v)
		}
	}
	return out
}

// openMsg is the provider's opening of the claimed output to the current round's
// verifiers (the chain cannot read openings: any bytes do).
func (e *env) openMsg(id uint64) *types.MsgOpenAudit {
	a := e.audit(id)
	p := e.of(a.Provider)
	msg := &types.MsgOpenAudit{Signer: p.worker.Address.String(), JobId: id}
	for _, v := range round(a, a.Round) {
		msg.Openings = append(msg.Openings, types.AuditOpening{Verifier: v.Operator, Sealed: tagged("opening", id, []byte(v.Operator))})
	}
	return msg
}

// realOpenMsg opens the honest claimed output of job id to the current round's verifiers
// exactly as a worker does: sealed to each one's audit key, with the key derived from the
// result's salt (what the chain checks after a complaint).
func (e *env) realOpenMsg(id uint64) *types.MsgOpenAudit {
	e.t.Helper()
	a := e.audit(id)
	p := e.of(a.Provider)
	th := e.provTrace[id].Hash()
	o := types.Opening{Claimed: claimedOf(id), Salt: e.provSalt[id], TraceHash: th[:]}
	msg := &types.MsgOpenAudit{Signer: p.worker.Address.String(), JobId: id}
	for _, v := range round(a, a.Round) {
		vp := e.of(v.Operator)
		sealed, err := types.SealOpening(e.provider(vp.name).AuditKey, o, types.DeriveOpeningKey(o.Salt, id, a.Round, vp.op.Address))
		if err != nil {
			e.t.Fatal(err)
		}
		msg.Openings = append(msg.Openings, types.AuditOpening{Verifier: v.Operator, Sealed: sealed})
	}
	return msg
}

// open has the provider open the audit of job id for the current round.
func (e *env) open(id uint64) {
	e.t.Helper()
	e.mustBlock(tx{e.of(e.audit(id).Provider).worker, []sdk.Msg{e.openMsg(id)}})
}

// commitMsg is a verifier's commitment to a verification, signed by its worker key.
func (e *env) commitMsg(p *party, id uint64, v verification) *types.MsgCommitVerification {
	return &types.MsgCommitVerification{
		Signer: p.worker.Address.String(), JobId: id,
		Commitment: types.VerifierCommitment(v.hash, v.trace.Hash(), verifierSalt(id, p.op.Address), p.op.Address),
	}
}

func (e *env) revealMsg(p *party, id uint64, v verification) *types.MsgReveal {
	return &types.MsgReveal{Signer: p.worker.Address.String(), JobId: id, OutputHash: v.hash, Salt: verifierSalt(id, p.op.Address), Trace: v.trace}
}

// providerReveal opens the job's result commitment from prov's worker.
func (e *env) providerReveal(id uint64) *types.MsgReveal {
	p := e.of(e.job(id).Provider)
	return &types.MsgReveal{Signer: p.worker.Address.String(), JobId: id, OutputHash: e.provHash[id], Salt: e.provSalt[id], Trace: e.provTrace[id]}
}

// commitAll has every listed verifier commit its verification of the job in one block.
func (e *env) commitAll(id uint64, vs []types.Verifier, verify func(*party) verification) {
	e.t.Helper()
	var txs []tx
	for _, v := range vs {
		p := e.of(v.Operator)
		txs = append(txs, tx{p.worker, []sdk.Msg{e.commitMsg(p, id, verify(p))}})
	}
	e.mustBlock(txs...)
}

// revealAll has every listed verifier reveal its verification in one block (after the
// provider when withProvider).
func (e *env) revealAll(id uint64, withProvider bool, vs []types.Verifier, verify func(*party) verification) {
	e.t.Helper()
	var txs []tx
	if withProvider {
		txs = append(txs, tx{e.of(e.job(id).Provider).worker, []sdk.Msg{e.providerReveal(id)}})
	}
	for _, v := range vs {
		p := e.of(v.Operator)
		txs = append(txs, tx{p.worker, []sdk.Msg{e.revealMsg(p, id, verify(p))}})
	}
	e.mustBlock(txs...)
}

// verifyState is everything x/verify stores, for before/after comparisons.
func (e *env) verifyState() string {
	e.t.Helper()
	ctx := e.f.Ctx()
	k := e.f.App.VerifyKeeper
	gs, err := k.ExportGenesis(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	b.Write(e.f.App.AppCodec().MustMarshal(gs))
	for _, walk := range []func() error{
		func() error {
			return k.PhaseQueue.Walk(ctx, nil, func(key collectionsPairI64) (bool, error) {
				fmt.Fprintf(&b, "|q%d/%d", key.K1(), key.K2())
				return false, nil
			})
		},
		func() error {
			return k.ByStatus.Walk(ctx, nil, func(key collectionsPairI32) (bool, error) {
				fmt.Fprintf(&b, "|s%d/%d", key.K1(), key.K2())
				return false, nil
			})
		},
		func() error {
			return k.ByVerifier.Walk(ctx, nil, func(key collectionsPairAddr) (bool, error) {
				fmt.Fprintf(&b, "|v%s/%d", key.K1(), key.K2())
				return false, nil
			})
		},
		func() error {
			return k.ByProvider.Walk(ctx, nil, func(key collectionsPairAddr) (bool, error) {
				fmt.Fprintf(&b, "|p%s/%d", key.K1(), key.K2())
				return false, nil
			})
		},
	} {
		if err := walk(); err != nil {
			e.t.Fatal(err)
		}
	}
	fmt.Fprintf(&b, "|verify-account %s", e.f.App.BankKeeper.GetAllBalances(ctx, e.f.App.AccountKeeper.GetModuleAddress(types.ModuleName)))
	return b.String()
}

// partiesState is the bonds and counters of every provider.
func (e *env) partiesState() string {
	var names []string
	for n := range e.parties {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		p := e.provider(n)
		fmt.Fprintf(&b, "%s bond=%s locked=%s status=%s passed=%d failed=%d missed=%d\n",
			n, p.Bond, p.Locked, p.Status, p.AuditsPassed, p.AuditsFailed, p.AuditsMissed)
	}
	return b.String()
}

func collectionsPairI64Of(h int64, id uint64) collectionsPairI64 { return collections.Join(h, id) }

func collectionsPairI32Of(s int32, id uint64) collectionsPairI32 { return collections.Join(s, id) }
func collectionsPairAddrOf(a string, id uint64) collectionsPairAddr {
	return collections.Join(sdk.MustAccAddressFromBech32(a), id)
}

// maxCharge is the most prov can charge for a test job: its price × (prompt bound 18 +
// max_output_tokens 16). A job's collateral is collateral_multiplier × maxCharge.
const maxCharge = cheapPrice * (int64(len(promptText)) + 2 + maxOutput)

// settleHonestly plays every party of the jobs honestly, one phase per block: the provider
// commits its honest result, opens every audit round and reveals; every drawn verifier
// commits and reveals an honest re-scoring. It returns when every job is terminal.
func (e *env) settleHonestly(ids []uint64, maxBlocks int) {
	e.t.Helper()
	for b := 0; ; b++ {
		msgs := map[*party][]sdk.Msg{}
		var order []*party
		add := func(p *party, m sdk.Msg) {
			if _, ok := msgs[p]; !ok {
				order = append(order, p)
			}
			msgs[p] = append(msgs[p], m)
		}
		done := true
		for _, id := range ids {
			j := e.job(id)
			if !j.Status.IsOpen() {
				continue
			}
			done = false
			switch j.Status {
			case tasktypes.JOB_STATUS_ASSIGNED:
				p := e.of(j.Provider)
				add(p, e.resultMsg(p, []uint64{id}, honestResult))
				continue
			case tasktypes.JOB_STATUS_AUDITING:
			default:
				continue
			}
			a := e.audit(id)
			switch a.Status {
			case types.AUDIT_STATUS_OPEN:
				add(e.of(a.Provider), e.openMsg(id))
			case types.AUDIT_STATUS_COMMIT:
				honest := e.honestFor(id)
				for _, v := range round(a, a.Round) {
					if len(v.Commitment) == 0 {
						p := e.of(v.Operator)
						add(p, e.commitMsg(p, id, honest(p)))
					}
				}
			case types.AUDIT_STATUS_REVEAL:
				if !a.ProviderRevealed {
					add(e.of(a.Provider), e.providerReveal(id))
				}
				honest := e.honestFor(id)
				for _, v := range round(a, a.Round) {
					if len(v.Commitment) > 0 && !v.Revealed {
						p := e.of(v.Operator)
						add(p, e.revealMsg(p, id, honest(p)))
					}
				}
			}
		}
		if done {
			return
		}
		if b >= maxBlocks {
			e.t.Fatalf("jobs %v still open after %d blocks", ids, maxBlocks)
		}
		// Two messages a tx: a reveal may carry a verdict, and a tx has 2,000,000 gas.
		var txs []tx
		for _, p := range order {
			for ms := msgs[p]; len(ms) > 0; {
				chunk := ms[:min(len(ms), 2)]
				ms = ms[len(chunk):]
				txs = append(txs, tx{p.worker, chunk})
			}
		}
		e.mustBlock(txs...)
	}
}

// bountyShare is what each of n honest verifiers earns of a slash: an equal part of
// bounty_fraction (0.5) of it.
func bountyShare(slashed int64, n int64) sdkmath.Int {
	return dec("0.50").MulInt64(slashed).TruncateInt().QuoRaw(n)
}

// stakeOf is a provider's verifier stake in these tests: verifier_slash_fraction (2%) of
// its bond.
func stakeOf(p *party) int64 { return p.spec.bond * 2 / 100 }

// params are x/verify's current params.
func (e *env) params() types.Params {
	e.t.Helper()
	p, err := e.f.App.VerifyKeeper.Params.Get(e.f.Ctx())
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}
