// Package simulation runs the whole app through random blocks: a random genesis from every
// module's simulation (the SDK's and Sovra's), then blocks whose transactions come from
// the modules' weighted message factories (cosmos-sdk testutil/simsx), with the Sovra and
// bank invariants checked after every block and the app hash of every height recorded
// (the same seed must give the same hashes).
//
// Why not simsx.Run / simulation.SimulateFromSeedX: they finalize blocks without
// transactions, so every beacon is weak (x/beacon puts the proposer's VRF proof at tx 0
// of each block) and, once any validator registered a VRF key, x/task would assign
// nothing; they have no hook after each block (x/crisis is gone in v0.55); and they drop
// the transactions' results, which the supply check needs. This runner keeps the SDK's
// pieces (random accounts and genesis, simsx factories, registry weights, reporter and
// summary, future operations for gov's votes) and drives the blocks itself as CometBFT
// would: the proposer (drawn by power among the validator set of that height, with
// validator updates applied two heights later) builds the beacon entry with its VRF key,
// ProcessProposal must accept it (a refused proposal passes to the next proposer, as a
// round would), FinalizeBlock runs, the messages of the block are delivered after it,
// signed by their accounts (several signers where a message names several), as the SDK
// simulation does, and the block is committed.
package simulation

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/header"
	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	beaconsim "github.com/sovra-network/sovra/x/beacon/simulation"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
	verifysim "github.com/sovra-network/sovra/x/verify/simulation"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// ChainID of every simulated chain.
const ChainID = "sovra-sim-1"

// Config is one simulation run.
type Config struct {
	Seed   int64
	Blocks int
	// OpsPerBlock is the mean number of messages a block delivers (0: 40); each block
	// draws between 0 and twice that.
	OpsPerBlock int
	// AppParams override the factories' weights ("op_weight_<name>": a number).
	AppParams simtypes.AppParams
	// Logf, when set, gets a progress line every LogEvery blocks (0: 100).
	Logf     func(format string, args ...any)
	LogEvery int
}

// Result is what a run did.
type Result struct {
	Seed int64
	// Height is the last committed height; AppHashes[h-1] is the app hash after height h.
	Height    int64
	AppHashes [][]byte
	// Delivered messages succeeded; Skipped factories found nothing to act on; Refused
	// proposals were turned down by ProcessProposal (a keyless validator after its VRF
	// grace period) and passed to another proposer.
	Delivered, Skipped, Refused int
	// ByType counts the delivered messages of each type (type URL).
	ByType map[string]int
	// Verdicts counts the audits' verdicts by whether the audited result was honest or a
	// substitute's (x/internal/simworld) and the verdict's reason.
	Verdicts map[string]int
	// Summary counts, per module, the deliveries and, per message type, each reason to
	// skip (simsx's summary).
	Summary string
	// Chain is the state at the end: jobs, audits, providers, beacons.
	Chain   ChainStats
	Elapsed time.Duration
	// Simulated lists the modules with a simulation (random genesis), and GenesisOnly
	// those of them without message factories; the app's other modules (consensus,
	// genutil, upgrade) have none.
	Simulated, GenesisOnly []string
}

// ErrStopped ends a run early: no validator is left to propose.
var ErrStopped = errors.New("no validator left to propose")

// sim is a running simulation.
type sim struct {
	cfg       Config
	r         *rand.Rand
	app       *app.App
	accs      []simtypes.Account
	addrCodec address.Codec
	reg       *registry
	future    futureOps
	reporter  *simsx.BasicSimulationReporter
	// sets[h] is CometBFT's validator set at height h.
	sets map[int64]valSet
	live liveness
	// vrfKeys are the simulated validators' VRF keys, by operator address.
	vrfKeys    map[string]vrf.PrivateKey
	now        time.Time
	lastSupply sdkmath.Int
	res        Result
}

// Run runs cfg on a fresh app in memory. The error names the height and what broke; the
// seed reproduces it.
func Run(tb testing.TB, cfg Config) (Result, error) {
	tb.Helper()
	start := time.Now()
	app.SetAddressPrefixes()
	if cfg.OpsPerBlock == 0 {
		cfg.OpsPerBlock = 40
	}
	if cfg.LogEvery == 0 {
		cfg.LogEvery = 100
	}
	dir := tb.TempDir()
	r := rand.New(rand.NewSource(cfg.Seed)) //nolint:gosec // G404: a simulation replays its seed
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.AppOptionsMap{flags.FlagHome: dir}, baseapp.SetChainID(ChainID))
	s := &sim{
		cfg: cfg, r: r, app: a,
		addrCodec: a.TxConfig().SigningContext().AddressCodec(),
		reporter:  simsx.NewBasicSimulationReporter(),
		sets:      map[int64]valSet{},
		live:      liveness{offlineUntil: map[string]int64{}},
		vrfKeys:   map[string]vrf.PrivateKey{},
		res:       Result{Seed: cfg.Seed, ByType: map[string]int{}, Verdicts: map[string]int{}},
	}
	s.accs = simtypes.RandomAccounts(r, 30+r.Intn(60))
	for _, acc := range s.accs {
		s.vrfKeys[valoper(acc)] = beaconsim.VRFKey(acc)
	}
	// The app wires x/auth without a genesis account generator (nil): the simulation's
	// genesis makes a base account of each simulated account (not the SDK's random
	// vesting accounts: the app does not wire x/vesting).
	sm := module.NewSimulationManagerFromAppModules(a.ModuleManager.Modules, map[string]module.AppModuleSimulation{
		authtypes.ModuleName: auth.NewAppModule(a.AppCodec(), a.AccountKeeper, baseAccounts),
	})
	s.reg, s.res.GenesisOnly = buildRegistry(sm, weights(cfg.AppParams), a)
	for _, m := range sm.Modules {
		s.res.Simulated = append(s.res.Simulated, fmt.Sprintf("%T", m))
	}
	state, genesisTime, err := genesis(r, a, sm, s.accs, dir)
	if err != nil {
		return s.res, fmt.Errorf("genesis: %w", err)
	}
	initRes, err := a.InitChain(&abci.RequestInitChain{
		ChainId: ChainID, Time: genesisTime, AppStateBytes: state, ConsensusParams: consensusParams(), InitialHeight: 1,
	})
	if err != nil {
		return s.res, fmt.Errorf("InitChain: %w", err)
	}
	set, err := valSet(nil).apply(initRes.Validators)
	if err != nil {
		return s.res, err
	}
	s.sets[1], s.sets[2] = set, set
	s.now = genesisTime
	s.lastSupply = s.supply(s.stateCtx(1))

	for h := int64(1); h <= int64(cfg.Blocks); h++ {
		if err := s.block(h); err != nil {
			s.res.Summary = s.reporter.Summary().String()
			s.res.Elapsed = time.Since(start)
			if errors.Is(err, ErrStopped) {
				break
			}
			return s.res, fmt.Errorf("seed %d, height %d: %w", cfg.Seed, h, err)
		}
		if cfg.Logf != nil && h%int64(cfg.LogEvery) == 0 {
			cfg.Logf("height %d: %d messages delivered, %d skipped, %s", h, s.res.Delivered, s.res.Skipped, time.Since(start).Round(time.Millisecond))
		}
	}
	s.res.Chain, err = chainStats(s.committedCtx(), a)
	s.res.Summary = s.reporter.Summary().String()
	if err == nil {
		if err = exportImport(a, tb.TempDir()); err != nil {
			err = fmt.Errorf("seed %d, genesis export at height %d: %w", cfg.Seed, s.res.Height, err)
		}
	}
	s.res.Elapsed = time.Since(start)
	return s.res, err
}

// baseAccounts is the genesis accounts of the simulated accounts.
func baseAccounts(simState *module.SimulationState) authtypes.GenesisAccounts {
	out := make(authtypes.GenesisAccounts, len(simState.Accounts))
	for i, acc := range simState.Accounts {
		out[i] = authtypes.NewBaseAccountWithAddress(acc.Address)
	}
	return out
}

// block proposes, finalizes, fills and commits height h, then checks the invariants.
func (s *sim) block(h int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	s.now = s.now.Add(time.Duration(5000+s.r.Intn(5000)) * time.Second) // as the SDK simulation: days pass in a few hundred blocks
	set := s.sets[h]
	if len(set) == 0 {
		return ErrStopped
	}
	var votes abci.CommitInfo
	if h > 1 {
		votes = s.live.votes(s.r, s.sets[h-1], h)
	}
	var req *abci.RequestFinalizeBlock
	for _, proposer := range set.proposers(s.r) {
		entry, err := s.entry(h, proposer)
		if err != nil {
			return err
		}
		proc, err := s.app.ProcessProposal(&abci.RequestProcessProposal{Height: h, Time: s.now, Txs: [][]byte{entry}, ProposerAddress: proposer})
		if err != nil {
			return fmt.Errorf("ProcessProposal: %w", err)
		}
		if proc.Status == abci.ResponseProcessProposal_ACCEPT {
			req = &abci.RequestFinalizeBlock{Height: h, Time: s.now, Txs: [][]byte{entry}, ProposerAddress: proposer, DecidedLastCommit: votes}
			break
		}
		s.res.Refused++
	}
	if req == nil {
		return fmt.Errorf("ProcessProposal refused the proposal of every validator (%d)", len(set))
	}
	fin, err := s.app.FinalizeBlock(req)
	if err != nil {
		return fmt.Errorf("FinalizeBlock: %w", err)
	}

	// The block's messages, delivered after FinalizeBlock on its state, as the SDK
	// simulation does: first the operations scheduled for now (gov votes), then a
	// random number of weighted draws.
	ctx := s.app.NewContextLegacy(false, cmtproto.Header{Height: h, Time: s.now, ProposerAddress: req.ProposerAddress, ChainID: ChainID}).
		WithHeaderInfo(header.Info{Height: h, Time: s.now, ChainID: ChainID})
	var txEvents []abci.Event
	for _, f := range s.future.due(s.now) {
		if err := s.op(ctx, f, &txEvents); err != nil {
			return err
		}
	}
	for range s.r.Intn(2*s.cfg.OpsPerBlock + 1) {
		if err := s.op(ctx, s.reg.pick(s.r), &txEvents); err != nil {
			return err
		}
	}
	s.app.SimWriteState()
	if _, err := s.app.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.res.Height = h
	s.res.AppHashes = append(s.res.AppHashes, s.app.LastCommitID().Hash)

	next, err := s.sets[h+1].apply(fin.ValidatorUpdates)
	if err != nil {
		return err
	}
	s.sets[h+2] = next
	delete(s.sets, h-1)
	return s.check(h, fin, txEvents)
}

// entry is the beacon entry proposer puts at tx 0 of height h: a VRF proof over
// beacon(h-1) with its key when it registered the one the simulation knows, else an entry
// without proof (a weak beacon, accepted or not by ProcessProposal).
func (s *sim) entry(h int64, proposer sdk.ConsAddress) ([]byte, error) {
	ctx := s.stateCtx(h)
	e := beacontypes.BeaconEntry{Height: h}
	info, err := s.app.BeaconKeeper.ProposerKey(ctx, proposer)
	if err != nil {
		return nil, err
	}
	if key, ok := s.vrfKeys[info.Valoper]; ok && info.HasKey && bytes.Equal(key.PubKey(), info.Key.PubKey) {
		alpha, err := s.app.BeaconKeeper.BeaconAlpha(ctx, ChainID, h)
		if err != nil {
			return nil, err
		}
		e.Proof, _ = key.Prove(alpha)
	}
	return beacontypes.EncodeEntry(e)
}

// stateCtx reads the state height h starts from: genesis before the first block, else
// the last committed height.
func (s *sim) stateCtx(h int64) sdk.Context {
	if h == 1 {
		return s.app.NewContextLegacy(false, cmtproto.Header{Height: 1, ChainID: ChainID, Time: s.now})
	}
	return s.committedCtx()
}

// committedCtx reads the last committed state.
func (s *sim) committedCtx() sdk.Context {
	return s.app.NewUncachedContext(false, cmtproto.Header{Height: s.app.LastBlockHeight(), ChainID: ChainID, Time: s.now}) //nolint:staticcheck // SA1019: a read of committed state between blocks
}

// op runs one factory: it builds the message on the block's state and delivers it; a
// message that fails fails the run (unless its factory expects the failure), and so does a
// factory that panics.
func (s *sim) op(ctx sdk.Context, f simsx.SimMsgFactoryX, events *[]abci.Event) error {
	reporter := s.reporter.WithScope(f.MsgType())
	defer func() { _ = reporter.Close() }()
	if fx, ok := f.(simsx.HasFutureOpsRegistry); ok {
		fx.SetFutureOpsRegistry(&s.future)
	}
	data := simsx.NewChainDataSource(ctx, s.r, s.app.AccountKeeper, s.app.BankKeeper, s.addrCodec, s.accs...)
	signers, msg, err := create(ctx, data, reporter, f)
	if err != nil {
		return err
	}
	if reporter.IsSkipped() || msg == nil {
		if !reporter.IsSkipped() {
			reporter.Skip("the factory returned no message")
		}
		s.res.Skipped++
		return nil
	}
	res, err := s.deliver(ctx, signers, msg)
	if err := f.DeliveryResultHandler()(err); err != nil {
		reporter.Fail(err)
		return fmt.Errorf("%s failed: %w\nmessage: %s", msgName(f), err, msgString(s.app, msg))
	}
	reporter.Success(msg)
	s.res.Delivered++
	s.res.ByType[sdk.MsgTypeURL(msg)]++
	if res != nil {
		*events = append(*events, res.Events...)
	}
	return nil
}

// create runs a factory; a panic is an error unless the factory skipped first (simsx
// factories may abort that way).
func create(ctx sdk.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter, f simsx.SimMsgFactoryX) (signers []simsx.SimAccount, msg sdk.Msg, err error) {
	defer func() {
		if p := recover(); p != nil {
			signers, msg = nil, nil
			if !reporter.IsSkipped() {
				err = fmt.Errorf("the factory of %s panicked: %v\n%s", msgName(f), p, debug.Stack())
			}
		}
	}()
	signers, msg = f.Create()(ctx, data, reporter)
	return signers, msg, nil
}

// deliver signs msg by signers (each once, in order) with a small random fee from the
// first, and runs it on the block's state.
func (s *sim) deliver(ctx sdk.Context, signers []simsx.SimAccount, msg sdk.Msg) (*sdk.Result, error) {
	if len(signers) == 0 {
		return nil, errors.New("the factory named no signer")
	}
	var (
		nums, seqs []uint64
		privs      []cryptotypes.PrivKey
	)
	for _, acc := range signers {
		a := s.app.AccountKeeper.GetAccount(ctx, acc.Address)
		if a == nil {
			return nil, fmt.Errorf("signer %s has no account", acc.AddressBech32)
		}
		nums, seqs, privs = append(nums, a.GetAccountNumber()), append(seqs, a.GetSequence()), append(privs, acc.PrivKey)
	}
	var fees sdk.Coins
	if bal := signers[0].LiquidBalance().AmountOf(sdk.DefaultBondDenom); bal.IsPositive() {
		fees = sdk.NewCoins(sdk.NewCoin(sdk.DefaultBondDenom, sdkmath.MinInt(bal, sdkmath.NewInt(s.r.Int63n(1000)))))
	}
	txCfg := s.app.TxConfig()
	tx, err := simtestutil.GenSignedMockTx(s.r, txCfg, []sdk.Msg{msg}, fees, simtestutil.DefaultGenTxGas, ChainID, nums, seqs, privs...)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	_, res, err := s.app.SimDeliver(txCfg.TxEncoder(), tx)
	return res, err
}

// msgString is msg as JSON, for failure reports.
func msgString(a *app.App, msg sdk.Msg) string {
	bz, err := a.AppCodec().MarshalInterfaceJSON(msg)
	if err != nil {
		return fmt.Sprintf("%T (%v)", msg, err)
	}
	if len(bz) > 4000 {
		bz = append(bz[:4000], "…"...)
	}
	return string(bz)
}

// check runs the invariants on the state committed at h: every Sovra module account holds
// what its module owes, collateral and open audits add up, the hand-kept indexes rebuild
// (testutil/appfixture), supply moved only by the block's mints and burns, the bank's
// supply is the sum of all balances, and the block's audit verdicts are right (a
// substitute never passes; an honest result fails only when its provider missed a step).
func (s *sim) check(h int64, fin *abci.ResponseFinalizeBlock, txEvents []abci.Event) error {
	ctx := s.committedCtx()
	if err := appfixture.CheckModuleAccounts(ctx, s.app); err != nil {
		return fmt.Errorf("invariant broken: %w", err)
	}
	if err := appfixture.CheckIndexes(ctx, s.app); err != nil {
		return fmt.Errorf("invariant broken: %w", err)
	}
	withTxs := *fin
	withTxs.TxResults = append(append([]*abci.ExecTxResult(nil), fin.TxResults...), &abci.ExecTxResult{Events: txEvents})
	minted, burned, err := appfixture.MintedAndBurned(&withTxs)
	if err != nil {
		return err
	}
	supply := s.supply(ctx)
	if want := s.lastSupply.Add(minted).Sub(burned); !supply.Equal(want) {
		return fmt.Errorf("invariant broken: supply %s, want %s (previous %s + minted %s - burned %s)", supply, want, s.lastSupply, minted, burned)
	}
	s.lastSupply = supply
	if err := s.countVerdicts(fin.Events, txEvents); err != nil {
		return err
	}
	return checkBankSupply(ctx, s.app)
}

// providerMissed reports whether a verdict's reason is a step the provider did not take
// in time, which fails an honest result too.
func providerMissed(reason string) bool {
	return strings.HasPrefix(reason, "the provider did not open") || strings.HasPrefix(reason, "the provider did not reveal")
}

// countVerdicts counts the block's audit verdicts (Result.Verdicts) and checks them.
func (s *sim) countVerdicts(lists ...[]abci.Event) error {
	for _, events := range lists {
		evs, err := verifytypes.ParseEvents(events)
		if err != nil {
			return err
		}
		for _, e := range evs {
			v, ok := e.(*verifytypes.EventAuditVerdict)
			if !ok {
				continue
			}
			substitute := verifysim.SubstituteResult(v.Provider, v.JobId)
			result := "honest result"
			if substitute {
				result = "substitute's result"
			}
			s.res.Verdicts[fmt.Sprintf("%s, %s: %s", result, strings.TrimPrefix(v.Verdict.String(), "AUDIT_STATUS_"), v.Reason)]++
			// Every simulated verifier is honest: a substitute never passes, and an honest
			// result fails only when its provider missed a step.
			switch {
			case substitute && v.Verdict == verifytypes.AUDIT_STATUS_PASSED:
				return fmt.Errorf("invariant broken: job %d, a substitute model's result, passed its audit: %s", v.JobId, v.Reason)
			case !substitute && v.Verdict == verifytypes.AUDIT_STATUS_FAILED && !providerMissed(v.Reason):
				return fmt.Errorf("invariant broken: job %d, an honest result, failed its audit: %s", v.JobId, v.Reason)
			}
		}
	}
	return nil
}

func (s *sim) supply(ctx sdk.Context) sdkmath.Int {
	return s.app.BankKeeper.GetSupply(ctx, sdk.DefaultBondDenom).Amount
}

// checkBankSupply is the bank invariant x/crisis used to run: the supply of every denom is
// the sum of all balances.
func checkBankSupply(ctx sdk.Context, a *app.App) error {
	var sum sdk.Coins
	a.BankKeeper.IterateAllBalances(ctx, func(_ sdk.AccAddress, c sdk.Coin) bool {
		sum = sum.Add(c)
		return false
	})
	supply, _, err := a.BankKeeper.GetPaginatedTotalSupply(ctx, nil)
	if err != nil {
		return err
	}
	if !sum.Equal(supply) {
		return fmt.Errorf("invariant broken: bank supply %s, balances add up to %s", supply, sum)
	}
	return nil
}
