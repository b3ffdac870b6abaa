package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"golang.org/x/crypto/curve25519"

	"cosmossdk.io/core/header"
	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/app/upgrades"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

const (
	upgradeModel     = "demo-tiny"
	upgradeModelHash = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
)

// withUpgrades is a binary that applies ups (and no other upgrade).
func withUpgrades(ups ...upgrades.Upgrade) appfixture.AppBuilder {
	return func(logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool, appOpts servertypes.AppOptions,
		baseAppOptions ...func(*baseapp.BaseApp),
	) *app.App {
		return app.NewWithUpgrades(ups, logger, db, traceStore, loadLatest, appOpts, baseAppOptions...)
	}
}

// oldBinary knows no upgrade: it stops at the height of any plan.
var oldBinary = withUpgrades()

// upgradeGenesis registers the test model, makes jobs assignable with three providers
// (two verifiers per audit) and rarely audited, and shortens gov's voting period to 5
// blocks of the fixture (one second each).
func upgradeGenesis(g appfixture.GenesisEditor) {
	cdc := g.App.AppCodec()
	var pg providertypes.GenesisState
	cdc.MustUnmarshalJSON(g.State[providertypes.ModuleName], &pg)
	pg.Models = append(pg.Models, providertypes.Model{Id: upgradeModel, Sha256: upgradeModelHash, ContextLength: 512, Tokenizer: "llama-spm"})
	g.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	var vg verifytypes.GenesisState
	cdc.MustUnmarshalJSON(g.State[verifytypes.ModuleName], &vg)
	vg.Params.AuditRate = sdkmath.LegacyNewDecWithPrec(1, 3)
	vg.Params.CollateralMultiplier = 1000
	vg.Params.VerifiersPerAudit = 2
	g.State[verifytypes.ModuleName] = cdc.MustMarshalJSON(&vg)

	var gg govv1.GenesisState
	cdc.MustUnmarshalJSON(g.State[govtypes.ModuleName], &gg)
	voting, expedited := 5*time.Second, 3*time.Second
	gg.Params.VotingPeriod, gg.Params.ExpeditedVotingPeriod = &voting, &expedited
	g.State[govtypes.ModuleName] = cdc.MustMarshalJSON(&gg)
}

// upgradeChain is a fixture chain with three providers, each its own worker (prov1 the
// cheapest, so it gets the jobs), a settled job and unclaimed rewards.
func upgradeChain(t *testing.T, build appfixture.AppBuilder) *appfixture.Fixture {
	t.Helper()
	f := appfixture.New(t, appfixture.Options{
		Accounts: []string{"alice", "prov1", "prov2", "prov3"},
		Genesis:  upgradeGenesis,
		NewApp:   build,
	})
	f.CheckEveryBlock()
	for i, price := range []int64{10, 1_000_000, 1_000_000} {
		acc := f.Accounts[fmt.Sprintf("prov%d", i+1)]
		f.MustDeliver(acc, &providertypes.MsgRegisterProvider{
			Operator: acc.Address.String(), Worker: acc.Address.String(), Models: []string{upgradeModel},
			Bond: sdk.NewInt64Coin(app.BondDenom, 10_000_000), PricePerToken: sdk.NewInt64Coin(app.BondDenom, price),
			Profile: "cpu-x64-f32-greedy-v1", MaxJobs: 4,
		})
		key := make([]byte, 32)
		copy(key, acc.Address)
		key[31] = 1
		f.MustDeliver(acc, &providertypes.MsgSetAuditKey{Worker: acc.Address.String(), AuditKey: key})
	}
	return f
}

// runJob submits a job from alice, has prov1 commit 4 + 12 tokens and waits for its
// settlement; it returns the job and the fee split the settlement emitted.
func runJob(t *testing.T, f *appfixture.Fixture) (tasktypes.Job, *rewardstypes.EventFeeDistributed) {
	t.Helper()
	res := f.MustDeliver(f.Accounts["alice"], &tasktypes.MsgSubmitJob{
		Submitter: f.Accounts["alice"].Address.String(), ModelId: upgradeModel, Prompt: "Once upon a time",
		MaxOutputTokens: 16, MaxFee: sdk.NewInt64Coin(app.BondDenom, 100_000), OutputKey: curve25519.Basepoint,
	})
	ids, err := tasktypes.SubmittedJobIDs(res.Events)
	if err != nil || len(ids) != 1 {
		t.Fatalf("submitted job ids %v: %v", ids, err)
	}
	id := ids[0]
	f.NextBlock()
	prov := f.Accounts["prov1"]
	if j := getJob(t, f, id); j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != prov.Address.String() {
		t.Fatalf("job %d after a block: %s to %q, want assigned to prov1", id, j.Status, j.Provider)
	}
	f.MustDeliver(prov, &tasktypes.MsgCommitResult{Worker: prov.Address.String(), Results: []tasktypes.JobResult{{
		JobId: id, Commitment: make([]byte, 32), PromptTokens: 4, OutputTokens: 12, SealedOutput: []byte("sealed"),
	}}})
	for range 10 {
		if j := getJob(t, f, id); j.Status == tasktypes.JOB_STATUS_SETTLED {
			t.Fatalf("job %d settled before its fee split was seen", id)
		}
		f.NextBlock()
		evs, err := rewardstypes.ParseEvents(f.LastBlock.Events)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if fd, ok := ev.(*rewardstypes.EventFeeDistributed); ok && fd.Provider == prov.Address.String() {
				j := getJob(t, f, id)
				if j.Status != tasktypes.JOB_STATUS_SETTLED {
					t.Fatalf("job %d: fee split in a block that left it %s", id, j.Status)
				}
				return j, fd
			}
		}
	}
	t.Fatalf("job %d not settled within 10 blocks: %s", id, getJob(t, f, id).Status)
	return tasktypes.Job{}, nil
}

func getJob(t *testing.T, f *appfixture.Fixture, id uint64) tasktypes.Job {
	t.Helper()
	j, err := f.App.TaskKeeper.Jobs.Get(f.Ctx(), id)
	if err != nil {
		t.Fatalf("job %d: %v", id, err)
	}
	return j
}

// moduleState is what the upgrade must leave as it was: every Sovra module's exported
// state except the beacon's history and x/rewards' params (the migration's), and the
// balances of the accounts and module accounts the jobs moved coins through.
func moduleState(t *testing.T, f *appfixture.Fixture) map[string]string {
	t.Helper()
	ctx, cdc, k := f.Ctx(), f.App.AppCodec(), f.App.Keepers
	out := map[string]string{}
	pg, err := k.ProviderKeeper.ExportGenesis(ctx)
	must(t, err)
	out["provider"] = string(cdc.MustMarshalJSON(pg))
	tg, err := k.TaskKeeper.ExportGenesis(ctx)
	must(t, err)
	out["task"] = string(cdc.MustMarshalJSON(tg))
	vg, err := k.VerifyKeeper.ExportGenesis(ctx)
	must(t, err)
	out["verify"] = string(cdc.MustMarshalJSON(vg))
	rg, err := k.RewardsKeeper.ExportGenesis(ctx)
	must(t, err)
	rg.Params = rewardstypes.Params{}
	out["rewards (params aside)"] = string(cdc.MustMarshalJSON(rg))
	for _, name := range []string{"alice", "prov1", "prov2", "prov3"} {
		out["balance "+name] = f.Balance(f.Accounts[name].Address).String()
	}
	for _, mod := range []string{providertypes.ModuleName, tasktypes.ModuleName, rewardstypes.ModuleName, rewardstypes.VerificationPoolName} {
		out["module account "+mod] = f.Balance(authtypes.NewModuleAddress(mod)).String()
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSoftwareUpgradeThroughGovernance: a software-upgrade plan passes by governance
// (a direct MsgSoftwareUpgrade from an account is refused), the binary without the
// plan's handler stops at the plan's height (UPGRADE "v2-test" NEEDED, upgrade-info.json
// written, nothing committed) and again when restarted, the binary with the handler
// replays the block and applies the upgrade (the migrations of this build: with the tag
// sovra_testupgrade, x/rewards 1 -> 2 burns the community share), the version map is the
// new binary's, jobs, bonds, audits' state and rewards are as they were, the old binary
// now refuses to run, and a new job settles with the migrated fee split.
func TestSoftwareUpgradeThroughGovernance(t *testing.T) {
	f := upgradeChain(t, oldBinary)
	chainFromOldBinary(t, f)
	firstJob, _ := runJob(t, f)

	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	alice := f.Accounts["alice"]
	upgradeHeight := f.Height() + 12
	plan := upgradetypes.Plan{Name: upgrades.TestUpgradeName, Height: upgradeHeight, Info: "test upgrade"}

	// Only governance schedules upgrades.
	res := f.Deliver(alice, &upgradetypes.MsgSoftwareUpgrade{Authority: alice.Address.String(), Plan: plan})
	if res.Code == 0 || !strings.Contains(res.Log, "expected "+gov) {
		t.Fatalf("MsgSoftwareUpgrade from alice: code %d %q, want refused (expected the gov authority)", res.Code, res.Log)
	}
	if _, err := f.App.UpgradeKeeper.GetUpgradePlan(f.Ctx()); !errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		t.Fatalf("a plan was stored by a refused message: %v", err)
	}

	passUpgradeProposal(t, f, plan)
	before := moduleState(t, f)
	paramsBefore, err := f.App.RewardsKeeper.Params.Get(f.Ctx())
	must(t, err)

	// The binary without the handler stops at the plan's height, before committing it.
	_, err = f.TryNextBlock()
	want := fmt.Sprintf("UPGRADE %q NEEDED at height: %d", plan.Name, upgradeHeight)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("block %d on the old binary: %v, want %q", upgradeHeight, err, want)
	}
	if f.Height() != upgradeHeight-1 || f.App.LastBlockHeight() != upgradeHeight-1 {
		t.Fatalf("committed height %d (app %d) after the halt, want %d", f.Height(), f.App.LastBlockHeight(), upgradeHeight-1)
	}
	raw, err := os.ReadFile(filepath.Join(f.Home, "data", upgradetypes.UpgradeInfoFilename))
	must(t, err)
	var info upgradetypes.Plan
	must(t, json.Unmarshal(raw, &info))
	if info.Name != plan.Name || info.Height != upgradeHeight {
		t.Fatalf("upgrade-info.json %s, want %s at %d", raw, plan.Name, upgradeHeight)
	}
	f.Restart(oldBinary)
	if _, err := f.TryNextBlock(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("old binary restarted: block %d: %v, want %q", upgradeHeight, err, want)
	}

	// The binary with the handler replays the block and applies the upgrade first.
	f.Restart(newBinary)
	f.NextBlock()
	if _, err := f.App.UpgradeKeeper.GetUpgradePlan(f.Ctx()); !errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		t.Fatalf("plan still scheduled after the upgrade: %v", err)
	}
	done, err := f.App.UpgradeKeeper.GetDoneHeight(f.Ctx(), plan.Name)
	must(t, err)
	if done != upgradeHeight {
		t.Fatalf("upgrade done at %d, want %d", done, upgradeHeight)
	}
	vm, err := f.App.UpgradeKeeper.GetModuleVersionMap(f.Ctx())
	must(t, err)
	if got, want := fmt.Sprint(vm), fmt.Sprint(f.App.ModuleManager.GetVersionMap()); got != want {
		t.Fatalf("stored module versions %s, want the new binary's %s", got, want)
	}
	if vm[rewardstypes.ModuleName] != wantRewardsVersion {
		t.Fatalf("x/rewards at version %d, want %d", vm[rewardstypes.ModuleName], wantRewardsVersion)
	}
	paramsAfter, err := f.App.RewardsKeeper.Params.Get(f.Ctx())
	must(t, err)
	if want := migratedRewardsParams(paramsBefore); paramsAfter.String() != want.String() {
		t.Fatalf("rewards params after the upgrade %s, want %s", paramsAfter.String(), want.String())
	}
	after := moduleState(t, f)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed across the upgrade:\nbefore %s\nafter  %s", k, v, after[k])
		}
	}
	if j := getJob(t, f, firstJob.Id); j.String() != firstJob.String() {
		t.Fatalf("job %d changed: %s -> %s", firstJob.Id, firstJob.String(), j.String())
	}

	// The old binary cannot run the upgraded chain: x/upgrade's first PreBlock finds the
	// last applied upgrade without its handler.
	f.Restart(oldBinary)
	_, err = f.TryNextBlock()
	if err == nil || !strings.Contains(err.Error(), "upgrade handler is missing for "+plan.Name) {
		t.Fatalf("old binary after the upgrade: %v, want the missing handler refused", err)
	}

	// The new binary carries on; a new job settles with the migrated split.
	f.Restart(newBinary)
	f.NextBlock()
	_, split := runJob(t, f)
	want2 := rewardstypes.SplitFee(split.Fee, paramsAfter)
	if !split.Burned.Equal(want2.Burned) || !split.Community.Equal(want2.Community) || !split.ProviderAmount.Equal(want2.Provider) {
		t.Fatalf("fee split after the upgrade %+v, want %+v", split, want2)
	}
}

// passUpgradeProposal has the validator propose plan and vote yes, runs blocks until the
// block before the plan's height and checks that the proposal passed and the plan is
// scheduled.
func passUpgradeProposal(t *testing.T, f *appfixture.Fixture, plan upgradetypes.Plan) {
	t.Helper()
	op := f.Operator
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	prop, err := govv1.NewMsgSubmitProposal([]sdk.Msg{&upgradetypes.MsgSoftwareUpgrade{Authority: gov, Plan: plan}},
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_000_000)), op.Address.String(), "", plan.Name, "an upgrade", false)
	must(t, err)
	res := f.MustDeliver(op, prop)
	var id uint64
	for _, ev := range res.Events {
		for _, a := range ev.Attributes {
			if ev.Type == govtypes.EventTypeSubmitProposal && a.Key == govtypes.AttributeKeyProposalID {
				_, err := fmt.Sscan(a.Value, &id)
				must(t, err)
			}
		}
	}
	if id == 0 {
		t.Fatal("no proposal id in the submission's events")
	}
	f.MustDeliver(op, govv1.NewMsgVote(op.Address, id, govv1.OptionYes, ""))
	for f.Height() < plan.Height-1 {
		f.NextBlock()
	}
	p, err := f.App.GovKeeper.Proposals.Get(f.Ctx(), id)
	must(t, err)
	if p.Status != govv1.StatusPassed {
		t.Fatalf("proposal status %s at height %d, want passed", p.Status, f.Height())
	}
	stored, err := f.App.UpgradeKeeper.GetUpgradePlan(f.Ctx())
	if err != nil || stored.Name != plan.Name || stored.Height != plan.Height {
		t.Fatalf("stored plan %+v (%v), want %s at %d", stored, err, plan.Name, plan.Height)
	}
}

// TestSkipUpgradeHeight: an operator restarts the stopped node with
// --unsafe-skip-upgrades at the plan's height: the block runs, the plan is cleared and
// not applied, and the chain goes on with the binary it had.
func TestSkipUpgradeHeight(t *testing.T) {
	f := upgradeChain(t, oldBinary)
	plan := upgradetypes.Plan{Name: "abandoned", Height: f.Height() + 12}
	passUpgradeProposal(t, f, plan)
	if _, err := f.TryNextBlock(); err == nil || !strings.Contains(err.Error(), "NEEDED") {
		t.Fatalf("block %d: %v, want the node stopped", plan.Height, err)
	}
	f.Restart(func(logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool, appOpts servertypes.AppOptions,
		baseAppOptions ...func(*baseapp.BaseApp),
	) *app.App {
		opts := simtestutil.AppOptionsMap{}
		maps.Copy(opts, appOpts.(simtestutil.AppOptionsMap))
		opts[server.FlagUnsafeSkipUpgrades] = []int{int(plan.Height)}
		return app.NewWithUpgrades(nil, logger, db, traceStore, loadLatest, opts, baseAppOptions...)
	})
	f.NextBlock()
	f.NextBlock()
	if _, err := f.App.UpgradeKeeper.GetUpgradePlan(f.Ctx()); !errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		t.Fatalf("plan still scheduled after its skipped height: %v", err)
	}
	if done, err := f.App.UpgradeKeeper.GetDoneHeight(f.Ctx(), plan.Name); err != nil || done != 0 {
		t.Fatalf("skipped upgrade recorded as done at %d (%v)", done, err)
	}
}

// TestBadUpgradeInfoStopsTheNode: a node whose data/upgrade-info.json is not valid JSON
// does not start, and says which file.
func TestBadUpgradeInfoStopsTheNode(t *testing.T) {
	home := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(home, "data"), 0o755))
	must(t, os.WriteFile(filepath.Join(home, "data", upgradetypes.UpgradeInfoFilename), []byte("{not json"), 0o600))
	msg := panicOf(func() {
		app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.AppOptionsMap{flags.FlagHome: home})
	})
	if !strings.Contains(msg, "read "+upgradetypes.UpgradeInfoFilename) {
		t.Fatalf("panic %q, want the upgrade-info file named", msg)
	}
}

// TestUpgradePreBlockerRunsFirst: at a plan's height x/upgrade runs before the beacon is
// stored, so a binary without the handler stops before anything of the block is written,
// and the binary with it applies the upgrade, then stores the beacon.
func TestUpgradePreBlockerRunsFirst(t *testing.T) {
	for _, tc := range []struct {
		name    string
		build   appfixture.AppBuilder
		wantErr string
	}{
		{"without the handler", oldBinary, "NEEDED"},
		{"with the handler", withUpgrades(upgrades.Upgrade{Name: "v9"}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := appfixture.New(t, appfixture.Options{NewApp: tc.build})
			h := f.Height() + 1
			ctx, _ := f.Ctx().CacheContext()
			must(t, f.App.UpgradeKeeper.ScheduleUpgrade(ctx, upgradetypes.Plan{Name: "v9", Height: h}))
			ctx = ctx.WithBlockHeight(h).WithHeaderInfo(header.Info{Height: h, Time: ctx.BlockTime().Add(time.Second), ChainID: appfixture.ChainID})
			_, err := f.App.PreBlocker(ctx, &abci.RequestFinalizeBlock{Height: h, ProposerAddress: f.ConsAddr})
			latest, lerr := f.App.BeaconKeeper.LatestBeacon(ctx)
			must(t, lerr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("PreBlocker at the plan's height: %v, want %q", err, tc.wantErr)
				}
				if latest.Height != h-1 {
					t.Fatalf("beacon of height %d stored before x/upgrade stopped the block", latest.Height)
				}
				return
			}
			must(t, err)
			if done, err := f.App.UpgradeKeeper.GetDoneHeight(ctx, "v9"); err != nil || done != h {
				t.Fatalf("upgrade done at %d (%v), want %d", done, err, h)
			}
			if latest.Height != h {
				t.Fatalf("latest beacon %d after the upgrade's PreBlock, want %d", latest.Height, h)
			}
		})
	}
}

// TestUpgradeListRefusesBadNames: an upgrade without a name or listed twice stops the
// app at construction with the name in the message.
func TestUpgradeListRefusesBadNames(t *testing.T) {
	for _, tc := range []struct {
		ups  []upgrades.Upgrade
		want string
	}{
		{[]upgrades.Upgrade{{Name: "v2"}, {}}, "upgrade 1 has no name"},
		{[]upgrades.Upgrade{{Name: "v2"}, {Name: "v2"}}, `upgrade "v2" is listed twice`},
	} {
		msg := panicOf(func() { app.NewWithUpgrades(tc.ups, log.NewNopLogger(), dbm.NewMemDB(), nil, false, noOpts{}) })
		if !strings.Contains(msg, tc.want) {
			t.Errorf("upgrades %v: panic %q, want %q", tc.ups, msg, tc.want)
		}
	}
}
