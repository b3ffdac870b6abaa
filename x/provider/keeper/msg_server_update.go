package keeper

import (
	"context"

	"github.com/sovra-network/sovra/x/provider/types"
)

// UpdateProvider changes the fields the message sets, with the registration's validation.
func (ms msgServer) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	_, p, err := ms.operatorProvider(ctx, msg.Operator)
	if err != nil {
		return nil, err
	}
	if err := notUnbonding(p); err != nil {
		return nil, err
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}

	if err := frozenDuringAudit(p, msg); err != nil {
		return nil, err
	}
	ev := &types.EventProviderUpdated{Operator: p.Operator, Worker: p.Worker}
	if len(msg.Models) > 0 {
		if err := ms.checkModels(ctx, params, msg.Models); err != nil {
			return nil, err
		}
		p.Models = append([]string(nil), msg.Models...)
		ev.Models = p.Models
	}
	if msg.HasPrice() {
		if err := checkPriceDenom(params, *msg.PricePerToken); err != nil {
			return nil, err
		}
		p.PricePerToken = *msg.PricePerToken
		ev.PricePerToken = &p.PricePerToken
	}
	if msg.Profile != "" {
		p.Profile = msg.Profile
		ev.Profile = p.Profile
	}
	if msg.Endpoint != "" {
		p.Endpoint = msg.Endpoint
	}
	if msg.Hardware != "" {
		p.Hardware = msg.Hardware
	}
	if msg.MaxJobs != 0 {
		p.MaxJobs = msg.MaxJobs
		ev.MaxJobs = p.MaxJobs
	}

	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, ev); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, nil
}

// notUnbonding refuses changes to an unbonding provider.
func notUnbonding(p types.Provider) error {
	if p.Status == types.PROVIDER_STATUS_UNBONDING {
		return types.ErrAlreadyUnbonding.Wrapf("provider %s is unbonding until height %d", p.Operator, p.UnbondingHeight)
	}
	return nil
}

// frozenDuringAudit refuses changes of the fields an open audit relies on: the models (a
// verifier must still serve the model it re-scores) and the profile (the audit record
// describes the hardware it ran on). The worker key, which signs the audit messages, is
// frozen too (ChangeWorker).
func frozenDuringAudit(p types.Provider, msg *types.MsgUpdateProvider) error {
	changes := (len(msg.Models) > 0 && !sameModels(msg.Models, p.Models)) ||
		(msg.Profile != "" && msg.Profile != p.Profile)
	if changes {
		return errAuditOpen(p)
	}
	return nil
}

// errAuditOpen is nil unless p is party to an open audit.
func errAuditOpen(p types.Provider) error {
	if p.OpenAudits == 0 {
		return nil
	}
	return types.ErrAuditOpen.Wrapf("provider %s is party to %d open audit(s): its worker, models and profile cannot change until they end",
		p.Operator, p.OpenAudits)
}
