package app_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	taskkeeper "github.com/sovra-network/sovra/x/task/keeper"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// The chains of BenchmarkBlockHooks.
const (
	// hooksBlocks bounds the blocks one chain runs (every invocation of its benchmark
	// together): the due work is laid out for them, and the open jobs' deadlines and
	// decisions come after them.
	hooksBlocks = 200
	// hooksDue is, per block and kind, the due work of the "due" chains: decisions that
	// settle, waiting jobs that expire; with retention_blocks 1 their jobs are pruned in
	// the next block (2 × hooksDue prunes).
	hooksDue = 20
	// hooksOpenFrom: every open job's deadline or decision height is in
	// [hooksOpenFrom, hooksOpenFrom + 400], after the last block a chain runs.
	hooksOpenFrom = 600
)

// BenchmarkBlockHooks times empty blocks (PreBlock, BeginBlock and EndBlock of every
// module, the beacon entry their only tx, then Commit) on two chains, one holding 100 and
// one 100,000 open jobs: half assigned, a quarter waiting (bidding below every provider
// with a free slot, as when the cheap provider is full), a quarter committed with their
// decision height fixed, all due hundreds of blocks later. "idle": no work is due in the
// timed blocks; "due": each block also settles hooksDue jobs, expires hooksDue waiting
// jobs and prunes the jobs the previous block ended. The block hooks touch only the work
// due (queues keyed by height first, x/task README "Caps"), so a block should cost the
// same on both chains: the figure is the ratio of FinalizeBlock's time at 100,000 to 100
// open jobs (target about 1), the median over pairs of blocks run alternately on the two
// chains (in one process, so both see the same machine load and garbage collector).
//
// The state is a genesis (InitChain, as a chain started from an export), built from the
// jobs as the messages would have left them, with the bank and the providers consistent
// (escrow, bonds, locks, active jobs): every index invariant and module account check
// passes before the first timed block. Run it with a fixed count of blocks, e.g.
// -benchtime 100x: a chain serves at most hooksBlocks blocks over all the invocations of
// its benchmark (Go runs each once with b.N = 1, then timed, and again per -count).
func BenchmarkBlockHooks(b *testing.B) {
	root := b.TempDir() // outlives the sub-benchmarks' invocations, which share the chains
	for _, due := range []bool{false, true} {
		name := "idle"
		if due {
			name = "due"
		}
		b.Run(name, func(b *testing.B) {
			chains := []*appfixture.Fixture{hooksChain(b, root, 100, due), hooksChain(b, root, 100_000, due)}
			for _, f := range chains {
				if f.Height()+int64(b.N) >= hooksBlocks {
					b.Fatalf("a chain runs at most %d blocks (at %d, %d asked): use -benchtime Nx with a smaller N or a smaller -count", hooksBlocks, f.Height(), b.N)
				}
			}
			var finalize, commit [2]time.Duration
			var finalizeRatio, commitRatio []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Alternate which chain goes first, so neither always follows the other's
				// garbage.
				for k := range chains {
					c := (k + i) % 2
					chains[c].NextBlock()
					finalize[c] += chains[c].LastFinalize
					commit[c] += chains[c].LastCommit
				}
				b.StopTimer()
				finalizeRatio = append(finalizeRatio, float64(chains[1].LastFinalize)/float64(chains[0].LastFinalize))
				commitRatio = append(commitRatio, float64(chains[1].LastCommit)/float64(chains[0].LastCommit))
				for _, f := range chains {
					checkHooksWork(b, f, due)
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(finalize[0].Nanoseconds())/n, "finalize-ns@100")
			b.ReportMetric(float64(finalize[1].Nanoseconds())/n, "finalize-ns@100000")
			b.ReportMetric(float64(commit[0].Nanoseconds())/n, "commit-ns@100")
			b.ReportMetric(float64(commit[1].Nanoseconds())/n, "commit-ns@100000")
			b.ReportMetric(medianOf(finalizeRatio), "finalize-ratio")
			b.ReportMetric(medianOf(commitRatio), "commit-ratio")
		})
	}
}

func medianOf(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// hooksChains keeps each chain for the next invocation of its benchmark (Go runs each
// once with b.N = 1, then timed, and again for every -count): building one with 100,000
// jobs takes a minute or two.
var hooksChains = map[string]*appfixture.Fixture{}

// hooksTB is the running benchmark with temporary directories under root, which outlive
// it: the chain's home serves later invocations.
type hooksTB struct {
	testing.TB
	root string
}

func (t hooksTB) TempDir() string {
	dir, err := os.MkdirTemp(t.root, "chain")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func hooksChain(b *testing.B, root string, open int, due bool) *appfixture.Fixture {
	key := fmt.Sprintf("%d/%v", open, due)
	if f := hooksChains[key]; f != nil {
		f.T = b
		return f
	}
	b.StopTimer()
	defer b.StartTimer()
	start := time.Now()
	g := newHooksGenesis(open, due)
	f := appfixture.New(hooksTB{TB: b, root: root}, appfixture.Options{Accounts: g.submitterNames(), Genesis: g.edit})
	f.T = b
	if err := f.CheckIndexes(); err != nil {
		b.Fatalf("indexes of the built state: %v", err)
	}
	if err := f.CheckModuleAccounts(); err != nil {
		b.Fatalf("module accounts of the built state: %v", err)
	}
	b.Logf("chain of %d open jobs (%d of them the due work) built and checked in %s",
		len(g.jobs), len(g.jobs)-open, time.Since(start).Round(time.Millisecond))
	hooksChains[key] = f
	return f
}

// checkHooksWork fails the benchmark unless the last block did exactly its due work.
func checkHooksWork(b *testing.B, f *appfixture.Fixture, due bool) {
	counts := map[string]int{}
	for _, ev := range f.LastBlock.Events {
		counts[ev.Type]++
	}
	settled := counts["sovra.task.v1.EventJobSettled"]
	decided := settled + counts["sovra.task.v1.EventJobAuditDecision"] // the others drawn for audit
	expired := counts["sovra.task.v1.EventJobExpired"]
	assigned := counts["sovra.task.v1.EventJobAssigned"]
	want := 0
	if due {
		want = hooksDue
	}
	if decided != want || settled > decided || expired != want || assigned != 0 {
		b.Fatalf("height %d: %d decisions (%d settled), %d expiries, %d assignments; want %d, %d and none",
			f.Height(), decided, settled, expired, assigned, want, want)
	}
}

// hooksGenesis builds the chain's jobs, providers and balances.
type hooksGenesis struct {
	open       int
	due        bool
	submitters []string
	jobs       []tasktypes.Job
	providers  []providertypes.Provider
	escrow     sdkmath.Int
}

const hooksSubmitters = 8

func (g *hooksGenesis) submitterNames() []string {
	names := make([]string, hooksSubmitters)
	for i := range names {
		names[i] = fmt.Sprintf("s%d", i)
	}
	return names
}

func newHooksGenesis(open int, due bool) *hooksGenesis {
	return &hooksGenesis{open: open, due: due}
}

// Prices: four providers at 2 with free slots, one at 1 whose slots are all taken; the
// waiting jobs bid 1 per token, below every free slot's price, so no block draws for them
// (a model's waiting scan stops at its first bid that no free provider's price fits).
const (
	hooksPrice      = 2
	hooksCheapPrice = 1
	hooksProviders  = 5 // the last one is the cheap, full one
	hooksPrompt     = "loadgen"
	hooksMaxOut     = 16
	hooksMultiplier = 1000
)

func (g *hooksGenesis) edit(ed appfixture.GenesisEditor) {
	cdc := ed.App.AppCodec()
	for i := 0; i < hooksSubmitters; i++ {
		// The fixture derives each account's key from its name (appfixture.New).
		priv := secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("sovra-fixture/s%d", i)))
		g.submitters = append(g.submitters, sdk.AccAddress(priv.PubKey().Address()).String())
	}
	bond := sdk.NewInt64Coin(app.BondDenom, 1_000_000_000_000)
	for i := 0; i < hooksProviders; i++ {
		opKey := sha256Bytes(fmt.Sprintf("hooks provider %d", i))
		op := sdk.AccAddress(opKey[:20]).String()
		_, auditKey, _ := tasktypes.X25519KeyPair(sha256.Sum256([]byte(op)))
		price := int64(hooksPrice)
		if i == hooksProviders-1 {
			price = hooksCheapPrice
		}
		g.providers = append(g.providers, providertypes.Provider{
			Operator: op, Worker: op, Models: []string{"m"}, PricePerToken: sdk.NewInt64Coin(app.BondDenom, price),
			Profile: "p", MaxJobs: providertypes.MaxMaxJobs, Bond: bond, Locked: sdkmath.ZeroInt(),
			Status: providertypes.PROVIDER_STATUS_ACTIVE, RegisteredHeight: 1, AuditKey: auditKey[:],
		})
	}
	g.escrow = sdkmath.ZeroInt()
	var id uint64
	next := func() uint64 { id++; return id }
	// Due work first (the same ids at both sizes): per block h, hooksDue committed jobs
	// decided at h and hooksDue waiting jobs expiring at h.
	if g.due {
		for h := int64(2); h < hooksBlocks+2; h++ {
			for i := 0; i < hooksDue; i++ {
				g.committed(next(), i, h)
				g.waiting(next(), h)
			}
		}
	}
	// The open jobs, due from hooksOpenFrom on.
	for i := 0; i < g.open; i++ {
		at := int64(hooksOpenFrom + i%400)
		switch i % 4 {
		case 0, 1:
			g.assigned(next(), i, at)
		case 2:
			g.waiting(next(), at)
		default:
			g.committed(next(), i, at)
		}
	}
	cheap := &g.providers[hooksProviders-1]
	cheap.MaxJobs = max(1, cheap.ActiveJobs) // full: no free slot at its price

	params := tasktypes.DefaultParams()
	// Decisions up to 1,000 blocks after the commit (so a committed job's far decision
	// height is one the chain could have drawn), ended jobs pruned the next block (so the
	// due chains also prune, as every chain does retention_blocks after its ends).
	params.DecisionWindow = 1000
	params.RetentionBlocks = 1
	ed.State[tasktypes.ModuleName] = cdc.MustMarshalJSON(&tasktypes.GenesisState{
		Params: params, Jobs: g.jobs, NextJobId: id + 1, AssignCursor: id + 1,
	})

	var pg providertypes.GenesisState
	cdc.MustUnmarshalJSON(ed.State[providertypes.ModuleName], &pg)
	pg.Models = append(pg.Models, providertypes.Model{Id: "m", Sha256: fmt.Sprintf("%064x", 1), ContextLength: 512})
	pg.Providers = g.providers
	ed.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	// Audits as rare as the params allow (audit_rate × collateral_multiplier ≥ 1), and an
	// audited provider given longer than the run to open: no audit verdict in a timed block.
	var vg verifytypes.GenesisState
	cdc.MustUnmarshalJSON(ed.State[verifytypes.ModuleName], &vg)
	vg.Params.AuditRate = sdkmath.LegacyNewDecWithPrec(1, 3)
	vg.Params.CollateralMultiplier = hooksMultiplier
	vg.Params.OpenPhaseBlocks = 10_000
	ed.State[verifytypes.ModuleName] = cdc.MustMarshalJSON(&vg)

	// The task account holds the open escrows, the provider account the bonds.
	var bg banktypes.GenesisState
	cdc.MustUnmarshalJSON(ed.State[banktypes.ModuleName], &bg)
	bonds := bond.Amount.MulRaw(hooksProviders)
	for _, mb := range []struct {
		module string
		amt    sdkmath.Int
	}{{tasktypes.ModuleName, g.escrow}, {providertypes.ModuleName, bonds}} {
		coins := sdk.NewCoins(sdk.NewCoin(app.BondDenom, mb.amt))
		bg.Balances = append(bg.Balances, banktypes.Balance{Address: authtypes.NewModuleAddress(mb.module).String(), Coins: coins})
		bg.Supply = bg.Supply.Add(coins...)
	}
	ed.State[banktypes.ModuleName] = cdc.MustMarshalJSON(&bg)
}

// submitted is a job as MsgSubmitJob leaves it at height 1, bidding bid per token.
func (g *hooksGenesis) submitted(id uint64, bid int64, deadlineBlocks uint64) tasktypes.Job {
	units := int64(taskkeeper.PromptTokenBound(hooksPrompt)) + hooksMaxOut
	fee := sdk.NewInt64Coin(app.BondDenom, bid*units)
	g.escrow = g.escrow.Add(fee.Amount)
	zero := sdk.NewInt64Coin(app.BondDenom, 0)
	return tasktypes.Job{
		Id: id, Submitter: g.submitters[id%hooksSubmitters], ModelId: "m", Prompt: hooksPrompt,
		MaxOutputTokens: hooksMaxOut, MaxFee: fee, OutputKey: curve25519.Basepoint,
		Status: tasktypes.JOB_STATUS_PENDING, SubmitHeight: 1, DeadlineHeight: 1 + int64(deadlineBlocks),
		DeadlineBlocks: deadlineBlocks, Collateral: sdkmath.ZeroInt(), FeePaid: zero, Refunded: zero, PricePerToken: zero,
	}
}

// waiting: tried at height 2 of the exporting chain, no free provider's price fits its
// bid; it expires at the end of height deadline.
func (g *hooksGenesis) waiting(id uint64, deadline int64) {
	g.jobs = append(g.jobs, g.submitted(id, hooksCheapPrice, uint64(deadline-1)))
}

// assigned to provider i mod hooksProviders at height 1 (the cheap one at its price),
// expiring at the end of height deadline.
func (g *hooksGenesis) assigned(id uint64, i int, deadline int64) {
	j := g.submitted(id, hooksPrice, uint64(deadline-1))
	g.assign(&j, i)
	j.DeadlineHeight = deadline
	g.providers[i%hooksProviders].ActiveJobs++
	g.jobs = append(g.jobs, j)
}

// committed: assigned to one of the providers at price 2 and committed at height 1, its
// audit decision at height decision.
func (g *hooksGenesis) committed(id uint64, i int, decision int64) {
	j := g.submitted(id, hooksPrice, 1000)
	g.assign(&j, i%(hooksProviders-1))
	j.Status = tasktypes.JOB_STATUS_COMMITTED
	commitment := sha256Bytes(fmt.Sprintf("commitment %d", id))
	j.Commitment = commitment[:]
	j.PromptTokens, j.OutputTokens = 5, hooksMaxOut
	j.SealedOutput = make([]byte, 160)
	j.CommitHeight, j.DecisionHeight = 1, decision
	g.jobs = append(g.jobs, j)
}

func (g *hooksGenesis) assign(j *tasktypes.Job, i int) {
	p := &g.providers[i%hooksProviders]
	j.Status = tasktypes.JOB_STATUS_ASSIGNED
	j.Provider = p.Operator
	j.PricePerToken = p.PricePerToken
	j.Collateral = taskkeeper.MaxCost(p.PricePerToken.Amount, *j).MulRaw(hooksMultiplier)
	j.AssignHeight = 1
	p.Locked = p.Locked.Add(j.Collateral)
}

func sha256Bytes(s string) [32]byte { return sha256.Sum256([]byte(s)) }
