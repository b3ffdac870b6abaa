package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// GetModel returns a registered model or ErrUnknownModel.
func (k Keeper) GetModel(ctx context.Context, id string) (types.Model, error) {
	m, err := k.Models.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Model{}, types.ErrUnknownModel.Wrapf("model %q is not registered", id)
	}
	return m, err
}

// GetProvider returns the provider of an operator or ErrProviderNotFound.
func (k Keeper) GetProvider(ctx context.Context, operator sdk.AccAddress) (types.Provider, error) {
	p, err := k.Providers.Get(ctx, operator)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Provider{}, types.ErrProviderNotFound.Wrapf("no provider with operator %s", k.addrString(operator))
	}
	return p, err
}

// GetProviderByWorker returns the provider whose worker is the given address (O(1) through
// the unique worker index) or ErrProviderNotFound.
func (k Keeper) GetProviderByWorker(ctx context.Context, worker sdk.AccAddress) (types.Provider, error) {
	operator, err := k.ProviderByWorker.Get(ctx, worker)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Provider{}, types.ErrProviderNotFound.Wrapf("no provider with worker %s", k.addrString(worker))
	}
	if err != nil {
		return types.Provider{}, err
	}
	return k.Providers.Get(ctx, operator)
}

// BondDenom is the denom of bonds and prices (min_bond's denom).
func (k Keeper) BondDenom(ctx context.Context) (string, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return "", err
	}
	return params.MinBond.Denom, nil
}

// MinPrice returns the lowest price_per_token among the ACTIVE providers serving a model,
// false when there is none. O(log n): the first key of the model's price index.
func (k Keeper) MinPrice(ctx context.Context, modelID string) (math.Int, bool, error) {
	price, err := k.MinPrices.Get(ctx, modelID)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return math.ZeroInt(), false, nil
	case err != nil:
		return math.Int{}, false, err
	}
	return price, true, nil
}

func (k Keeper) addrString(a sdk.AccAddress) string {
	s, err := k.addressCodec.BytesToString(a)
	if err != nil {
		return a.String()
	}
	return s
}

func (k Keeper) operatorAddr(p types.Provider) (sdk.AccAddress, error) {
	return k.addressCodec.StringToBytes(p.Operator)
}

// union returns a followed by the elements of b not in a, keeping a deterministic order.
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, m := range b {
		if !contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// eligible reports whether a provider may take new work: ACTIVE with a bond of at least
// min_bond. A slash (or a raised min_bond) can leave an ACTIVE provider below the minimum;
// it is then out of the draw and the price index until it adds bond.
func eligible(p *types.Provider, minBond math.Int) bool {
	return p != nil && p.IsActive() && p.Bond.Amount.GTE(minBond)
}

// weightOf is a provider's draw weight: its bond while eligible with free job capacity.
func weightOf(p *types.Provider, minBond math.Int) math.Int {
	if !eligible(p, minBond) || p.ActiveJobs >= p.MaxJobs {
		return math.ZeroInt()
	}
	return p.Bond.Amount
}

// verifierWeightOf is a provider's weight in the verifier draw: its bond while eligible,
// busy or not. A provider with every job slot taken still verifies: the audit is the
// protocol's security, and a burst that fills every slot (an attacker's own jobs, say)
// must not leave results unverifiable, so refunded and unpaid, exactly when it lasts.
func verifierWeightOf(p *types.Provider, minBond math.Int) math.Int {
	if !eligible(p, minBond) {
		return math.ZeroInt()
	}
	return p.Bond.Amount
}

// verifierTree is the key of a model's verifier tree in the Tree* collections: the model
// id with a suffix no model id can have ('/' is not in [a-z0-9._-]).
func verifierTree(model string) string { return model + "/verifiers" }

// sameDrawInputs reports whether nothing the model, price and weight indexes depend on
// differs between old and next (the common case of a job taken without filling the last
// slot, or a counter update), so the write needs neither the params nor index work.
func sameDrawInputs(old, next *types.Provider) bool {
	return old != nil && next != nil && old.Status == next.Status &&
		old.Bond.Amount.Equal(next.Bond.Amount) &&
		old.PricePerToken.Amount.Equal(next.PricePerToken.Amount) &&
		(old.ActiveJobs < old.MaxJobs) == (next.ActiveJobs < next.MaxJobs) &&
		sameModels(old.Models, next.Models)
}

// minBond returns params.min_bond's amount.
func (k Keeper) minBond(ctx context.Context) (math.Int, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return params.MinBond.Amount, nil
}

// priceKey is a price as 32 big-endian bytes, so the price index orders by amount.
func priceKey(amount math.Int) []byte {
	return amount.BigInt().FillBytes(make([]byte, 32))
}

// setProvider writes a provider and brings every derived index (model index, price index,
// weight trees) in line with it. All provider writes go through here.
func (k Keeper) setProvider(ctx context.Context, p types.Provider) error {
	operator, err := k.operatorAddr(p)
	if err != nil {
		return err
	}
	var old *types.Provider
	prev, err := k.Providers.Get(ctx, operator)
	switch {
	case err == nil:
		old = &prev
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	return k.writeProvider(ctx, operator, old, &p)
}

// writeProvider stores next over old (nil for a new provider) and updates the derived
// state; callers that already hold the stored value skip setProvider's read.
func (k Keeper) writeProvider(ctx context.Context, operator sdk.AccAddress, old, next *types.Provider) error {
	return k.writeProviderMin(ctx, operator, old, next, math.Int{})
}

// writeProviderMin is writeProvider for callers that have already read min_bond (a nil
// minBond is read from the params when the indexes need it).
func (k Keeper) writeProviderMin(ctx context.Context, operator sdk.AccAddress, old, next *types.Provider, minBond math.Int) error {
	if err := k.Providers.Set(ctx, operator, *next); err != nil {
		return err
	}
	if sameDrawInputs(old, next) {
		return k.indexes.syncWorker(ctx, operator, old, next)
	}
	if minBond.IsNil() {
		var err error
		if minBond, err = k.minBond(ctx); err != nil {
			return err
		}
	}
	return k.indexes.sync(ctx, operator, old, next, minBond, minBond)
}

// removeProvider deletes a provider and all its index entries.
func (k Keeper) removeProvider(ctx context.Context, p types.Provider) error {
	operator, err := k.operatorAddr(p)
	if err != nil {
		return err
	}
	minBond, err := k.minBond(ctx)
	if err != nil {
		return err
	}
	if err := k.Providers.Remove(ctx, operator); err != nil {
		return err
	}
	return k.indexes.sync(ctx, operator, &p, nil, minBond, minBond)
}

func modelsOf(p *types.Provider) []string {
	if p == nil {
		return nil
	}
	return p.Models
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sameModels(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// resyncMinBond re-indexes the providers whose eligibility changes when min_bond moves
// from oldMin to newMin (ACTIVE with a bond between the two). It walks every provider:
// O(n), run only by a params change.
func (k Keeper) resyncMinBond(ctx context.Context, oldMin, newMin math.Int) error {
	var changed []types.Provider
	err := k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		if eligible(&p, oldMin) != eligible(&p, newMin) {
			changed = append(changed, p)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, p := range changed {
		operator, err := k.operatorAddr(p)
		if err != nil {
			return err
		}
		if err := k.indexes.sync(ctx, operator, &p, &p, oldMin, newMin); err != nil {
			return err
		}
	}
	return nil
}
