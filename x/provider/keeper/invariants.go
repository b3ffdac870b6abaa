package keeper

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// TotalBonded is the sum of all bonds, unbonding ones included (a running total, O(1)).
func (k Keeper) TotalBonded(ctx context.Context) (math.Int, error) {
	total, err := k.TotalBond.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return total, err
}

func (k Keeper) addTotalBond(ctx context.Context, delta math.Int) error {
	total, err := k.TotalBonded(ctx)
	if err != nil {
		return err
	}
	total = total.Add(delta)
	if total.IsNegative() {
		return fmt.Errorf("total bond would be negative (%s)", total)
	}
	return k.TotalBond.Set(ctx, total)
}

// CheckBonds verifies that the module account holds exactly the sum of all bonds, that
// the running total matches that sum, and that no provider has more locked than bonded.
// It iterates every provider: for invariant checks and tests, not for transactions.
func (k Keeper) CheckBonds(ctx context.Context) error {
	denom, err := k.BondDenom(ctx)
	if err != nil {
		return err
	}
	sum := math.ZeroInt()
	err = k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		if p.Bond.Denom != denom {
			return true, types.ErrInvariantBroken.Wrapf("provider %s bond denom %s, expected %s", p.Operator, p.Bond.Denom, denom)
		}
		if p.LockedAmount().GT(p.Bond.Amount) {
			return true, types.ErrInvariantBroken.Wrapf("provider %s locks %s of a %s bond", p.Operator, p.LockedAmount(), p.Bond)
		}
		sum = sum.Add(p.Bond.Amount)
		return false, nil
	})
	if err != nil {
		return err
	}
	total, err := k.TotalBonded(ctx)
	if err != nil {
		return err
	}
	if !total.Equal(sum) {
		return types.ErrInvariantBroken.Wrapf("running total %s%s, sum of bonds %s%s", total, denom, sum, denom)
	}
	balance := k.bank.GetBalance(ctx, k.ModuleAddress(), denom)
	if !balance.Amount.Equal(sum) {
		return types.ErrInvariantBroken.Wrapf("module account holds %s, sum of bonds is %s%s", balance, sum, denom)
	}
	return nil
}

// BondsInvariant is CheckBonds in the (message, broken) form of SDK invariants.
func (k Keeper) BondsInvariant(ctx context.Context) (string, bool) {
	if err := k.CheckBonds(ctx); err != nil {
		return fmt.Sprintf("%s: bonds invariant: %s", types.ModuleName, err), true
	}
	return fmt.Sprintf("%s: bonds invariant holds", types.ModuleName), false
}

// CheckWeightTree verifies a model's weight tree against first principles: the size is a
// power of two covering every slot handed out, every node equals the sum of its slot range,
// every slot's weight is its owner's weight (bond if ACTIVE with a bond ≥ min_bond and free
// capacity, else 0) and every provider serving the model owns exactly one slot; and the
// same of its verifier tree (bond if ACTIVE with a bond ≥ min_bond, busy or not).
// O(size · log size): for invariant checks and tests.
func (k Keeper) CheckWeightTree(ctx context.Context, model string) error {
	minBond, err := k.minBond(ctx)
	if err != nil {
		return err
	}
	if err := k.indexes.checkTree(ctx, k.Providers, model, model, func(p *types.Provider) math.Int { return weightOf(p, minBond) }); err != nil {
		return types.ErrInvariantBroken.Wrap(err.Error())
	}
	if err := k.indexes.checkTree(ctx, k.Providers, model, verifierTree(model), func(p *types.Provider) math.Int { return verifierWeightOf(p, minBond) }); err != nil {
		return types.ErrInvariantBroken.Wrap(err.Error())
	}
	return nil
}

// CheckIndexes is the index invariant: it rebuilds from the providers the worker, model
// and price indexes and the lowest prices and compares them with the stored ones, checks
// the weight tree of every model (CheckWeightTree), and that every unbonding provider is
// queued at its completion height. It walks every provider: for invariant checks and tests.
func (k Keeper) CheckIndexes(ctx context.Context) error {
	minBond, err := k.minBond(ctx)
	if err != nil {
		return err
	}
	var models []string
	seen := map[string]bool{}
	add := func(m string) (bool, error) {
		if !seen[m] {
			seen[m] = true
			models = append(models, m)
		}
		return false, nil
	}
	if err := k.Models.Walk(ctx, nil, func(m string, _ types.Model) (bool, error) { return add(m) }); err != nil {
		return err
	}
	if err := k.TreeMeta.Walk(ctx, nil, func(m string, _ TreeMeta) (bool, error) {
		return add(strings.TrimSuffix(m, verifierTree(""))) // a verifier tree is checked with its model
	}); err != nil {
		return err
	}
	if err := k.indexes.check(ctx, k.Providers, models, minBond); err != nil {
		return types.ErrInvariantBroken.Wrap(err.Error())
	}
	return k.Providers.Walk(ctx, nil, func(operator sdk.AccAddress, p types.Provider) (bool, error) {
		if p.Status != types.PROVIDER_STATUS_UNBONDING {
			return false, nil
		}
		queued, err := k.UnbondingQueue.Has(ctx, collections.Join(p.UnbondingHeight, operator))
		if err != nil {
			return true, err
		}
		if !queued {
			return true, types.ErrInvariantBroken.Wrapf("unbonding provider %s is not queued at its completion height %d", p.Operator, p.UnbondingHeight)
		}
		return false, nil
	})
}
