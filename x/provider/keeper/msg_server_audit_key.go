package keeper

import (
	"context"
	"errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// SetAuditKey records the X25519 key a provider's worker opens audits with, signed by the
// worker key (which consented to its binding by co-signing the registration or worker
// change). It cannot change while the provider is party to an open audit: openings
// already sealed to the old key must stay readable.
func (ms msgServer) SetAuditKey(ctx context.Context, msg *types.MsgSetAuditKey) (*types.MsgSetAuditKeyResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	worker, err := ms.mustAddr("worker", msg.Worker)
	if err != nil {
		return nil, err
	}
	p, err := ms.GetProviderByWorker(ctx, worker)
	if err != nil {
		return nil, err
	}
	if p.OpenAudits > 0 {
		return nil, types.ErrAuditOpen.Wrapf("provider %s is party to %d open audit(s); set the audit key when they end", p.Operator, p.OpenAudits)
	}
	operator, err := ms.operatorAddr(p)
	if err != nil {
		return nil, err
	}
	old := p
	p.AuditKey = append([]byte(nil), msg.AuditKey...)
	if err := ms.writeProvider(ctx, operator, &old, &p); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventAuditKeySet{
		Operator: p.Operator, Worker: p.Worker, AuditKey: p.AuditKey,
	}); err != nil {
		return nil, err
	}
	return &types.MsgSetAuditKeyResponse{}, nil
}

// AuditOpened counts an audit the provider became party to (as the audited provider or a
// drawn verifier); x/verify calls AuditClosed for each when the audit ends.
func (k Keeper) AuditOpened(ctx context.Context, operator sdk.AccAddress) error {
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	old := p
	p.OpenAudits++
	return k.writeProvider(ctx, operator, &old, &p)
}

// AuditClosed undoes one AuditOpened; a provider that has left since is skipped.
func (k Keeper) AuditClosed(ctx context.Context, operator sdk.AccAddress) error {
	p, err := k.GetProvider(ctx, operator)
	if errors.Is(err, types.ErrProviderNotFound) {
		return nil // a verifier may unbond completely during an audit
	}
	if err != nil {
		return err
	}
	old := p
	if p.OpenAudits > 0 {
		p.OpenAudits--
	}
	return k.writeProvider(ctx, operator, &old, &p)
}
