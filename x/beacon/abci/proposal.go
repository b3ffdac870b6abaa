package abci

import (
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// ProposalHandler wraps the app's PrepareProposal and ProcessProposal handlers: the
// proposer adds its beacon entry at index 0, and validators accept a block only with a
// correct entry there.
type ProposalHandler struct {
	logger  log.Logger
	keeper  keeper.Keeper
	staking types.StakingKeeper
	keys    KeySource
	prepare sdk.PrepareProposalHandler
	process sdk.ProcessProposalHandler
	// node is this node's consensus address, when known: ProcessProposal then keeps
	// the node's readiness (log and metrics) current at every height, not only when
	// it proposes.
	node    sdk.ConsAddress
	metrics Metrics
	status  readinessTracker
}

// Option configures a ProposalHandler.
type Option func(*ProposalHandler)

// WithNodeConsAddress tells the handler this node's consensus address (from its
// priv_validator_key.json), so it evaluates the node's readiness at every proposal it
// checks.
func WithNodeConsAddress(addr sdk.ConsAddress) Option {
	return func(h *ProposalHandler) { h.node = addr }
}

// WithMetrics sends the node's beacon metrics to m instead of the SDK telemetry.
func WithMetrics(m Metrics) Option {
	return func(h *ProposalHandler) { h.metrics = m }
}

// NewProposalHandler builds the handler. keys gives this node's VRF key at each
// proposal (StaticKey(nil) for a node without one; FileKeySource follows the key
// file). prepare and process are the handlers being wrapped (for example
// baseapp.NewDefaultProposalHandler(mempool, app).PrepareProposalHandler()); nil means
// "keep the txs as they are" (trimmed to MaxTxBytes) and "accept".
func NewProposalHandler(
	logger log.Logger,
	k keeper.Keeper,
	sk types.StakingKeeper,
	keys KeySource,
	prepare sdk.PrepareProposalHandler,
	process sdk.ProcessProposalHandler,
	opts ...Option,
) *ProposalHandler {
	if keys == nil {
		keys = StaticKey(nil)
	}
	if prepare == nil {
		prepare = passThroughPrepare
	}
	if process == nil {
		process = acceptProcess
	}
	h := &ProposalHandler{
		logger:  logger.With("module", "x/"+types.ModuleName),
		keeper:  k,
		staking: sk,
		keys:    keys,
		prepare: prepare,
		process: process,
		metrics: TelemetryMetrics{},
	}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// key is the node's current key (nil: none). A zero key counts as none.
func (h *ProposalHandler) key() *vrf.PrivateKey {
	k := h.keys.Key()
	if k != nil && k.IsZero() {
		return nil
	}
	return k
}

// PrepareProposal returns the handler that puts the beacon entry for req.Height first,
// then the txs chosen by the wrapped handler within the remaining MaxTxBytes.
func (h *ProposalHandler) PrepareProposal() sdk.PrepareProposalHandler {
	return func(ctx sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
		entry := h.buildEntry(ctx, req.Height, req.ProposerAddress)
		entrySize := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{entry})

		inner := *req
		inner.Txs = withoutEntries(req.Txs)
		inner.MaxTxBytes = max(req.MaxTxBytes-entrySize, 0)

		var txs [][]byte
		resp, err := h.prepare(ctx, &inner)
		if err != nil {
			// Still propose a valid block carrying the beacon; it just has no txs.
			h.logger.Error("beacon: wrapped PrepareProposal failed; proposing the beacon entry alone",
				"height", req.Height, "err", err)
		} else if resp != nil {
			txs = withoutEntries(resp.Txs)
		}

		out := make([][]byte, 0, len(txs)+1)
		out = append(out, entry)
		size := entrySize
		for _, tx := range txs {
			size += cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
			if size > req.MaxTxBytes {
				h.logger.Error("beacon: wrapped PrepareProposal exceeded MaxTxBytes; dropping the excess txs", "height", req.Height)
				break
			}
			out = append(out, tx)
		}
		return &abci.ResponsePrepareProposal{Txs: out}, nil
	}
}

// buildEntry makes the entry for height: a VRF proof when this node holds the key
// registered for the proposer's validator, otherwise a weak entry with no proof. It
// logs why an entry is weak, as an error when the proposal will be rejected, and
// updates the node's readiness and its weak-proposal counter.
func (h *ProposalHandler) buildEntry(ctx sdk.Context, height int64, proposer sdk.ConsAddress) []byte {
	key := h.key()
	weak := func(reason types.Readiness) []byte {
		h.metrics.WeakProposal(reason)
		bz, err := EncodeEntry(types.BeaconEntry{Height: height})
		if err != nil {
			panic(fmt.Sprintf("beacon: encode weak entry: %v", err)) // cannot happen for a fixed-size message
		}
		return bz
	}
	info, err := h.keeper.ResolveProposer(ctx, h.staking, proposer)
	if err != nil {
		h.logger.Error("beacon: cannot read the proposer's VRF key; proposing a weak entry", "height", height, "err", err)
		return weak(types.ReadinessNotValidator)
	}
	state := h.observe(info, key)
	if state == types.ReadinessReady {
		alpha, err := h.keeper.BeaconAlpha(ctx, keeper.ChainID(ctx), height)
		if err != nil {
			h.logger.Error("beacon: cannot read the previous beacon; proposing a weak entry", "height", height, "err", err)
			return weak(state)
		}
		proof, _ := key.Prove(alpha)
		bz, err := EncodeEntry(types.BeaconEntry{Height: height, Proof: proof})
		if err != nil {
			panic(fmt.Sprintf("beacon: encode entry: %v", err))
		}
		return bz
	}

	// The proposal carries no proof: say whether it will be accepted.
	params, err := h.keeper.GetParams(ctx)
	if err != nil {
		h.logger.Error("beacon: cannot read the params; proposing a weak entry", "height", height, "err", err)
		return weak(state)
	}
	logArgs := []any{"height", height, "validator", info.Valoper, "state", state.String()}
	if key != nil && info.HasKey && state == types.ReadinessKeyMismatch {
		logArgs = append(logArgs, "registered", fmt.Sprintf("%X", info.Key.PubKey), "local", fmt.Sprintf("%X", key.PubKey()))
	}
	if rejected := keeper.WeakProposalError(params, info, height); rejected != nil {
		h.logger.Error("beacon: this proposal carries no VRF proof and will be rejected; the round passes to the next proposer",
			append(logArgs, "reason", rejected.Error(), "fix", state.Advice())...)
		return weak(state)
	}
	switch {
	case info.Valoper == "":
		// Not a validator known to staking: nothing to say beyond the beacon's stats.
	case params.RequireVrf && info.HasBondedHeight:
		end := keeper.GraceEnd(info.BondedHeight, params.VrfGraceBlocks)
		h.logger.Info("beacon: proposing a weak beacon within this validator's VRF grace period; after it, its proposals are rejected",
			append(logArgs, "grace_end_height", end, "blocks_left", end-height, "fix", state.Advice())...)
	default:
		h.logger.Info("beacon: proposing a weak beacon", append(logArgs, "fix", state.Advice())...)
	}
	return weak(state)
}

// observe evaluates the node's readiness for the validator described by info and
// updates the log (once per change) and the metrics.
func (h *ProposalHandler) observe(info keeper.ProposerInfo, key *vrf.PrivateKey) types.Readiness {
	var local, registered []byte
	if key != nil {
		local = key.PubKey()
	}
	if info.HasKey {
		registered = info.Key.PubKey
	}
	state := types.Evaluate(local, info.Valoper != "", registered)
	h.metrics.SetReadiness(state)
	if h.status.changed(state, info.Valoper) {
		args := []any{"state", state.String(), "validator", info.Valoper, "summary", state.Summary()}
		if advice := state.Advice(); advice != "" {
			args = append(args, "fix", advice)
		}
		if state == types.ReadinessReady || state == types.ReadinessNotValidator {
			h.logger.Info("beacon: VRF readiness of this node", args...)
		} else {
			h.logger.Error("beacon: VRF readiness of this node: its proposals cannot carry a VRF proof", args...)
		}
	}
	return state
}

// observeNode evaluates the readiness of this node's own validator (when its
// consensus address is known) at a proposal it checks.
func (h *ProposalHandler) observeNode(ctx sdk.Context) {
	if len(h.node) == 0 {
		return
	}
	info, err := h.keeper.ResolveProposer(ctx, h.staking, h.node)
	if err != nil {
		return // a store error here is the block's problem, reported by checkEntry
	}
	h.observe(info, h.key())
}

// readinessTracker remembers the last readiness logged.
type readinessTracker struct {
	mu      sync.Mutex
	set     bool
	state   types.Readiness
	valoper string
}

// changed records state and tells whether it differs from the last one.
func (t *readinessTracker) changed(state types.Readiness, valoper string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.set && t.state == state && t.valoper == valoper {
		return false
	}
	t.set, t.state, t.valoper = true, state, valoper
	return true
}

// ProcessProposal returns the handler that accepts a block only when txs[0] is an entry
// for req.Height whose proof is right for the proposer (see checkEntry) and no other
// tx is an entry; it then runs the wrapped handler on the remaining txs.
func (h *ProposalHandler) ProcessProposal() sdk.ProcessProposalHandler {
	return func(ctx sdk.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
		h.observeNode(ctx)
		if err := h.checkEntry(ctx, req); err != nil {
			h.logger.Info("beacon: rejecting proposal", "height", req.Height,
				"proposer", sdk.ConsAddress(req.ProposerAddress).String(), "reason", err)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		inner := *req
		inner.Txs = req.Txs[1:]
		return h.process(ctx, &inner)
	}
}

// checkEntry applies the proposal rules to req.Txs:
//   - txs[0] is a canonical entry for req.Height and no other tx is an entry;
//   - a proposer with a registered key: a non-empty proof must verify under that key;
//   - a proposer without a key: the proof must be empty;
//   - an empty proof must be acceptable by keeper.WeakProposalError: with require_vrf
//     on, never from a proposer with a key, and from a bonded validator without one
//     only during its grace period (vrf_grace_blocks after it was first bonded). A
//     rejected proposal makes CometBFT move to the next round and its proposer, as
//     when the proposer is offline.
func (h *ProposalHandler) checkEntry(ctx sdk.Context, req *abci.RequestProcessProposal) error {
	if len(req.Txs) == 0 {
		return fmt.Errorf("%w: the block has no beacon entry", types.ErrInvalidEntry)
	}
	entry, err := DecodeEntry(req.Txs[0])
	if err != nil {
		return fmt.Errorf("txs[0]: %w", err)
	}
	if entry.Height != req.Height {
		return fmt.Errorf("%w: entry is for height %d, block is %d", types.ErrInvalidEntry, entry.Height, req.Height)
	}
	for i, tx := range req.Txs[1:] {
		if IsEntry(tx) {
			return fmt.Errorf("%w: txs[%d] is a second beacon entry", types.ErrInvalidEntry, i+1)
		}
	}

	info, err := h.keeper.ResolveProposer(ctx, h.staking, req.ProposerAddress)
	if err != nil {
		return fmt.Errorf("read proposer key: %w", err)
	}
	if !info.HasKey && len(entry.Proof) != 0 {
		return fmt.Errorf("%w: proposer %q has no registered VRF key but the entry carries a proof", types.ErrInvalidEntry, info.Valoper)
	}
	if len(entry.Proof) == 0 {
		params, err := h.keeper.GetParams(ctx)
		if err != nil {
			return fmt.Errorf("read params: %w", err)
		}
		return keeper.WeakProposalError(params, info, req.Height)
	}
	alpha, err := h.keeper.BeaconAlpha(ctx, keeper.ChainID(ctx), req.Height)
	if err != nil {
		return fmt.Errorf("read previous beacon: %w", err)
	}
	if _, ok := vrf.Verify(info.Key.PubKey, entry.Proof, alpha); !ok {
		return fmt.Errorf("%w: the proof does not verify under the VRF key of %s", types.ErrInvalidEntry, info.Valoper)
	}
	return nil
}

func withoutEntries(txs [][]byte) [][]byte {
	out := make([][]byte, 0, len(txs))
	for _, tx := range txs {
		if !IsEntry(tx) {
			out = append(out, tx)
		}
	}
	return out
}

// passThroughPrepare keeps the request's txs in order while they fit in MaxTxBytes.
func passThroughPrepare(_ sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	var (
		out  [][]byte
		size int64
	)
	for _, tx := range req.Txs {
		size += cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
		if size > req.MaxTxBytes {
			break
		}
		out = append(out, tx)
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

func acceptProcess(sdk.Context, *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}
