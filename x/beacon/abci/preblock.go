package abci

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/keeper"
)

// ModulePreBlocker runs the modules' PreBlock hooks (the app's *module.Manager).
type ModulePreBlocker interface {
	PreBlock(ctx sdk.Context) (*sdk.ResponsePreBlock, error)
}

// PreBlockHandler is the app's PreBlocker: it stores the beacon of the block being
// finalized (keeper.ApplyBlock, from the entry its proposer put at index 0) before any
// module's PreBlock, BeginBlock or transaction runs, so x/task's BeginBlocker assigns
// jobs from this height's beacon. Like Connect's abci/preblock, the app constructs it and
// installs its PreBlocker method; app.go only wires it.
type PreBlockHandler struct {
	keeper  keeper.Keeper
	modules ModulePreBlocker
}

// NewPreBlockHandler builds the handler over the beacon keeper and the module manager
// whose PreBlock runs after the beacon is stored.
func NewPreBlockHandler(k keeper.Keeper, modules ModulePreBlocker) *PreBlockHandler {
	return &PreBlockHandler{keeper: k, modules: modules}
}

// PreBlocker stores beacon(H) and then runs the modules' PreBlock. A missing or bad
// entry never fails it (beacon(H) is then the weak hash-chain value); only a store error
// does, as it would any module's.
func (h *PreBlockHandler) PreBlocker(ctx sdk.Context, req *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	if err := h.keeper.ApplyBlock(ctx, req.Txs, sdk.ConsAddress(req.ProposerAddress)); err != nil {
		return nil, err
	}
	return h.modules.PreBlock(ctx)
}
