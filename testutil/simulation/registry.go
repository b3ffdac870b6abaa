package simulation

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/sovra-network/sovra/app"
)

// registry collects the weighted message factories of every module (simsx.Registry): the
// SDK modules' own (bank, staking, slashing, distribution, gov) and Sovra's. Its order is
// the simulation manager's (module names sorted), so a seed picks the same factories.
type registry struct {
	items []weighted
	total uint64
}

type weighted struct {
	weight  uint32
	factory simsx.SimMsgFactoryX
}

var _ simsx.Registry = (*registry)(nil)

func (g *registry) Add(weight uint32, f simsx.SimMsgFactoryX) {
	if f == nil {
		panic("message factory must not be nil")
	}
	if weight == 0 {
		return
	}
	g.items = append(g.items, weighted{weight: weight, factory: f})
	g.total += uint64(weight)
}

// pick draws a factory in proportion to its weight.
func (g *registry) pick(r *rand.Rand) simsx.SimMsgFactoryX {
	n := uint64(r.Int63n(int64(g.total))) //nolint:gosec // G115: total is a sum of uint32 weights, positive
	for _, it := range g.items {
		if n < uint64(it.weight) {
			return it.factory
		}
		n -= uint64(it.weight)
	}
	panic("unreachable: weights sum to total")
}

// futureOps holds the factories a message scheduled for a later block time (gov's votes
// on the proposal it submitted), in time order (simsx.FutureOpsRegistry).
type futureOps struct {
	items []futureOp
}

type futureOp struct {
	at      time.Time
	factory simsx.SimMsgFactoryX
}

var _ simsx.FutureOpsRegistry = (*futureOps)(nil)

func (q *futureOps) Add(at time.Time, f simsx.SimMsgFactoryX) {
	if f == nil {
		panic("message factory must not be nil")
	}
	if at.IsZero() {
		return
	}
	i, _ := slices.BinarySearchFunc(q.items, at, func(op futureOp, t time.Time) int {
		if op.at.After(t) {
			return 1
		}
		return -1 // equal times keep their insertion order
	})
	q.items = slices.Insert(q.items, i, futureOp{at: at, factory: f})
}

// due removes and returns the operations scheduled before now.
func (q *futureOps) due(now time.Time) []simsx.SimMsgFactoryX {
	var out []simsx.SimMsgFactoryX
	for len(q.items) > 0 && now.After(q.items[0].at) {
		out = append(out, q.items[0].factory)
		q.items = q.items[1:]
	}
	return out
}

// weights reads op weights from the simulation's app params ("op_weight_<name>"). By
// default the SDK modules' factories get half their own weights, and validators are
// created at a tenth of it (each one adds to every block's work), so that about two
// thirds of the messages are Sovra's; some SDK factories are off (see disabledOps).
func weights(p simtypes.AppParams) simsx.WeightSource {
	src := simsx.ParamWeightSource(p)
	return simsx.WeightSourceFn(func(name string, def uint32) uint32 {
		if _, set := p["op_weight_"+name]; set {
			return src.Get(name, def)
		}
		switch {
		case disabledOps[name] != "":
			return 0
		case name == "msg_create_validator":
			return def / 10
		case !sovraOp(name):
			return max(def/2, 1)
		}
		return def
	})
}

// sovraOp reports whether a weight name is one of Sovra's factories (prefixed with the
// module's name) or the harness's own.
func sovraOp(name string) bool {
	for _, prefix := range []string{"beacon_", "provider_", "task_", "verify_", "rewards_", "vote_yes_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// disabledOps are SDK factories this app cannot run, each with the reason.
var disabledOps = map[string]string{
	// Legacy (v1beta1) proposal contents need gov's legacy router, which this app does not
	// set: Sovra's governance messages are v1 messages (MsgUpdateParams, MsgRegisterModel).
	"legacy_text_proposal": "gov v1beta1 content needs a legacy router the app does not set",
}

// buildRegistry registers every module's factories, as simsx's runner does: governance
// payloads (ProposalMsgsX) first, then each module's messages (WeightedOperationsX); gov
// submits the payloads as proposals and schedules votes. Modules that only have legacy
// WeightedOperations (none that has messages, in this app) are not run. The validators'
// yes votes on Sovra proposals come last (msgVoteYesOnSovraFactory).
func buildRegistry(sm *module.SimulationManager, w simsx.WeightSource, a *app.App) (*registry, []string) {
	proposals := simsx.NewUniqueTypeRegistry()
	for _, m := range sm.Modules {
		if xm, ok := m.(simsx.HasProposalMsgsX); ok {
			xm.ProposalMsgsX(w, proposals)
		}
	}
	reg := &registry{}
	var skipped []string
	for _, m := range sm.Modules {
		switch xm := m.(type) {
		case simsx.HasWeightedOperationsX:
			xm.WeightedOperationsX(w, reg)
		case simsx.HasWeightedOperationsXWithProposals:
			xm.WeightedOperationsX(w, reg, proposals.Iterator(), nil)
		default:
			skipped = append(skipped, fmt.Sprintf("%T", m)) // genesis only
		}
	}
	reg.Add(w.Get("vote_yes_on_sovra_proposals", 10), msgVoteYesOnSovraFactory(a.GovKeeper, a.StakingKeeper))
	return reg, skipped
}

// msgName is a message's type URL, for reports.
func msgName(f simsx.SimMsgFactoryX) string { return sdk.MsgTypeURL(f.MsgType()) }
