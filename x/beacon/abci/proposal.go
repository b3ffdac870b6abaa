package abci

import (
	"bytes"
	"fmt"

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
	key     *vrf.PrivateKey
	prepare sdk.PrepareProposalHandler
	process sdk.ProcessProposalHandler
}

// NewProposalHandler builds the handler. key is this node's VRF key (nil when the node
// has no key file). prepare and process are the handlers being wrapped (for example
// baseapp.NewDefaultProposalHandler(mempool, app).PrepareProposalHandler()); nil means
// "keep the txs as they are" (trimmed to MaxTxBytes) and "accept".
func NewProposalHandler(
	logger log.Logger,
	k keeper.Keeper,
	sk types.StakingKeeper,
	key *vrf.PrivateKey,
	prepare sdk.PrepareProposalHandler,
	process sdk.ProcessProposalHandler,
) *ProposalHandler {
	if key != nil && key.IsZero() {
		key = nil
	}
	if prepare == nil {
		prepare = passThroughPrepare
	}
	if process == nil {
		process = acceptProcess
	}
	return &ProposalHandler{
		logger:  logger.With("module", "x/"+types.ModuleName),
		keeper:  k,
		staking: sk,
		key:     key,
		prepare: prepare,
		process: process,
	}
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
// registered for the proposer's validator, otherwise a weak entry with no proof.
func (h *ProposalHandler) buildEntry(ctx sdk.Context, height int64, proposer sdk.ConsAddress) []byte {
	weak := func() []byte {
		bz, err := EncodeEntry(types.BeaconEntry{Height: height})
		if err != nil {
			panic(fmt.Sprintf("beacon: encode weak entry: %v", err)) // cannot happen for a fixed-size message
		}
		return bz
	}
	info, err := h.keeper.ResolveProposer(ctx, h.staking, proposer)
	if err != nil {
		h.logger.Error("beacon: cannot read the proposer's VRF key; proposing a weak entry", "height", height, "err", err)
		return weak()
	}
	switch {
	case !info.HasKey:
		if h.key != nil {
			h.logger.Info("beacon: this validator has no registered VRF key; register it with `tx beacon register-vrf-key` to produce VRF beacons",
				"height", height, "validator", info.Valoper)
		}
		return weak()
	case h.key == nil:
		h.logger.Error("beacon: this validator has a registered VRF key but the node has no VRF key file; the proposal carries no proof and is rejected while require_vrf is on",
			"height", height, "validator", info.Valoper)
		return weak()
	case !bytes.Equal(h.key.PubKey(), info.Key.PubKey):
		h.logger.Error("beacon: the node's VRF key is not the key registered for this validator; the proposal carries no proof and is rejected while require_vrf is on",
			"height", height, "validator", info.Valoper, "registered", fmt.Sprintf("%X", info.Key.PubKey), "local", fmt.Sprintf("%X", h.key.PubKey()))
		return weak()
	}
	alpha, err := h.keeper.BeaconAlpha(ctx, keeper.ChainID(ctx), height)
	if err != nil {
		h.logger.Error("beacon: cannot read the previous beacon; proposing a weak entry", "height", height, "err", err)
		return weak()
	}
	proof, _ := h.key.Prove(alpha)
	bz, err := EncodeEntry(types.BeaconEntry{Height: height, Proof: proof})
	if err != nil {
		panic(fmt.Sprintf("beacon: encode entry: %v", err))
	}
	return bz
}

// ProcessProposal returns the handler that accepts a block only when txs[0] is an entry
// for req.Height whose proof is right for the proposer (see checkEntry) and no other
// tx is an entry; it then runs the wrapped handler on the remaining txs.
func (h *ProposalHandler) ProcessProposal() sdk.ProcessProposalHandler {
	return func(ctx sdk.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
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
//   - a proposer with a registered key: a non-empty proof must verify under that key,
//     and an empty proof is allowed only while require_vrf is off;
//   - a proposer without a key: the proof must be empty.
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
	if !info.HasKey {
		if len(entry.Proof) != 0 {
			return fmt.Errorf("%w: proposer %q has no registered VRF key but the entry carries a proof", types.ErrInvalidEntry, info.Valoper)
		}
		return nil
	}
	if len(entry.Proof) == 0 {
		params, err := h.keeper.GetParams(ctx)
		if err != nil {
			return fmt.Errorf("read params: %w", err)
		}
		if params.RequireVrf {
			return fmt.Errorf("%w: proposer %s has a registered VRF key and require_vrf is on, but the entry has no proof", types.ErrInvalidEntry, info.Valoper)
		}
		return nil
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
