package keeper

import (
	"context"

	"github.com/sovra-network/sovra/x/provider/types"
)

// ChangeWorker binds a new worker address to the operator's provider. The message is
// signed by the operator and by the new worker (the ante handler checks both signatures),
// so an address is only ever bound with its owner's consent. Refused while the provider
// is unbonding or party to an open audit (the worker key signs the audit messages), and
// when the address is another provider's worker. The audit key stays until the new
// worker publishes its own (sovra-worker does at its start).
func (ms msgServer) ChangeWorker(ctx context.Context, msg *types.MsgChangeWorker) (*types.MsgChangeWorkerResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	operator, p, err := ms.operatorProvider(ctx, msg.Operator)
	if err != nil {
		return nil, err
	}
	if err := notUnbonding(p); err != nil {
		return nil, err
	}
	worker, err := ms.mustAddr("worker", msg.Worker)
	if err != nil {
		return nil, err
	}
	if ms.addrString(worker) == p.Worker {
		return &types.MsgChangeWorkerResponse{}, nil // already bound: nothing to change
	}
	if err := errAuditOpen(p); err != nil {
		return nil, err
	}
	if err := ms.checkWorkerFree(ctx, worker, operator); err != nil {
		return nil, err
	}
	p.Worker = ms.addrString(worker) // canonical (lower-case) bech32
	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventProviderUpdated{Operator: p.Operator, Worker: p.Worker}); err != nil {
		return nil, err
	}
	return &types.MsgChangeWorkerResponse{}, nil
}
