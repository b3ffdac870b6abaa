package keeper

import (
	"context"
	"errors"
	"fmt"

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
// capacity, else 0) and
// every provider serving the model owns exactly one slot. O(size · log size): for
// invariant checks and tests.
func (k Keeper) CheckWeightTree(ctx context.Context, model string) error {
	meta, err := k.treeMeta(ctx, model)
	if err != nil {
		return err
	}
	minBond, err := k.minBond(ctx)
	if err != nil {
		return err
	}
	if meta.Size&(meta.Size-1) != 0 || meta.NextSlot-1 > meta.Size {
		return types.ErrInvariantBroken.Wrapf("tree %s: size %d, next slot %d", model, meta.Size, meta.NextSlot)
	}
	weights := make([]math.Int, meta.Size+1)
	for i := range weights {
		weights[i] = math.ZeroInt()
	}
	owned := 0
	err = k.TreeSlotOwner.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](model),
		func(key collections.Pair[string, uint64], operator sdk.AccAddress) (bool, error) {
			slot := key.K2()
			if slot == 0 || slot >= meta.NextSlot {
				return true, types.ErrInvariantBroken.Wrapf("tree %s: slot %d beyond next slot %d", model, slot, meta.NextSlot)
			}
			back, err := k.TreeSlot.Get(ctx, collections.Join(model, operator))
			if err != nil || back != slot {
				return true, types.ErrInvariantBroken.Wrapf("tree %s: slot %d owner %s maps back to %d (%v)", model, slot, k.addrString(operator), back, err)
			}
			p, err := k.Providers.Get(ctx, operator)
			if err != nil {
				return true, types.ErrInvariantBroken.Wrapf("tree %s: slot %d owner %s: %s", model, slot, k.addrString(operator), err)
			}
			if weights[slot], err = k.slotWeight(ctx, model, slot); err != nil {
				return true, err
			}
			if want := weightOf(&p, minBond); !want.Equal(weights[slot]) {
				return true, types.ErrInvariantBroken.Wrapf("tree %s: provider %s weight %s, want %s", model, p.Operator, weights[slot], want)
			}
			owned++
			return false, nil
		})
	if err != nil {
		return err
	}
	serving := 0
	err = k.ModelProviders.Walk(ctx, collections.NewPrefixedPairRange[string, sdk.AccAddress](model),
		func(collections.Pair[string, sdk.AccAddress]) (bool, error) {
			serving++
			return false, nil
		})
	if err != nil {
		return err
	}
	if serving != owned {
		return types.ErrInvariantBroken.Wrapf("tree %s: %d providers serve the model, %d slots owned", model, serving, owned)
	}
	if free := meta.NextSlot - 1 - uint64(owned); free != meta.Free {
		return types.ErrInvariantBroken.Wrapf("tree %s: %d unowned slots, free stack holds %d", model, free, meta.Free)
	}
	prefix := make([]math.Int, meta.Size+1)
	prefix[0] = math.ZeroInt()
	for i := uint64(1); i <= meta.Size; i++ {
		prefix[i] = prefix[i-1].Add(weights[i])
	}
	for i := uint64(1); i <= meta.Size; i++ {
		got, err := k.TreeNode(ctx, model, i)
		if err != nil {
			return err
		}
		if want := prefix[i].Sub(prefix[i-lowbit(i)]); !got.Equal(want) {
			return types.ErrInvariantBroken.Wrapf("tree %s: node %d is %s, slot range sums to %s", model, i, got, want)
		}
	}
	return nil
}
