package keeper_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// slashTo is the module that receives slashed bonds in these tests.
const slashTo = "verify"

func sovra(n int64) sdkmath.Int { return bigCoin(n).Amount }

func (f *fixture) balance(a sdk.AccAddress) sdkmath.Int {
	return f.bank.GetBalance(f.ctx, a, denom).Amount
}

func (f *fixture) moduleBalance(name string) sdkmath.Int {
	return f.balance(authtypes.NewModuleAddress(name))
}

// checkAll asserts the module invariants: bonds (module account = sum of bonds = running
// total, locked ≤ bond) and the weight trees of every test model.
func checkAll(t *testing.T, f *fixture) {
	t.Helper()
	require.NoError(t, f.k.CheckBonds(f.ctx))
	_, broken := f.k.BondsInvariant(f.ctx)
	require.False(t, broken)
	for _, m := range testModels {
		checkTree(t, f, m.Id)
	}
}

func (f *fixture) weight(t *testing.T, op sdk.AccAddress) sdkmath.Int {
	t.Helper()
	w, err := f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.NoError(t, err)
	return w
}

// drawCounts draws one provider of llama-7b for each of n seeds and counts the operators.
func (f *fixture) drawCounts(t *testing.T, n int) map[string]int {
	t.Helper()
	c := map[string]int{}
	for i := 0; i < n; i++ {
		p, ok, err := f.k.DrawProvider(f.ctx, "llama-7b", seedOf(i), nil, 1)
		require.NoError(t, err)
		if ok {
			c[p.Operator]++
		}
	}
	return c
}

func TestSlashPartial(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	f.register(t, 2, 3)
	require.NoError(t, f.k.LockCollateral(f.ctx, op, sovra(4)))
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())

	taken, err := f.k.Slash(f.ctx, op, sovra(2), slashTo, false)
	require.NoError(t, err)
	require.Equal(t, sovra(2), taken)
	p := f.provider(t, op)
	require.Equal(t, bigCoin(3), p.Bond)
	require.Equal(t, sovra(3), p.Locked, "locked clamped to the new bond")
	require.Equal(t, uint32(1), p.ActiveJobs, "the open job stays open")
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status, "jail=false does not jail")
	require.Equal(t, sovra(2), f.moduleBalance(slashTo))
	require.Equal(t, sovra(6), f.balance(f.k.ModuleAddress()))
	total, err := f.k.TotalBonded(f.ctx)
	require.NoError(t, err)
	require.Equal(t, sovra(6), total)
	require.Equal(t, sovra(3), f.weight(t, op), "weight follows the new bond")
	requireEvent(t, f.ctx, func(e *types.EventProviderSlashed) bool {
		return e.Operator == op.String() && e.Worker == workerOf(1).String() && e.Amount.String() == "2000000usovra" &&
			e.Recipient == slashTo && !e.Jailed && e.Bond.String() == "3000000usovra"
	})
	checkAll(t, f)

	// Releasing the job's collateral after the slash never goes below zero.
	require.NoError(t, f.k.ReleaseCollateral(f.ctx, op, sovra(4)))
	require.True(t, f.provider(t, op).Locked.IsZero())
	checkAll(t, f)
}

// TestSlashWholeBond: an amount above the bond takes all of it; the provider stays
// registered with a zero bond, is never drawn, and comes back when it adds bond.
func TestSlashWholeBond(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	other := f.register(t, 2, 3)
	taken, err := f.k.Slash(f.ctx, op, sovra(100), slashTo, false)
	require.NoError(t, err)
	require.Equal(t, sovra(5), taken)
	p := f.provider(t, op)
	require.True(t, p.Bond.IsZero())
	require.Equal(t, denom, p.Bond.Denom)
	require.Equal(t, sovra(5), f.moduleBalance(slashTo))
	require.True(t, f.weight(t, op).IsZero())
	require.Equal(t, map[string]int{other.String(): 300}, f.drawCounts(t, 300), "a slashed-to-zero provider is never drawn")
	checkAll(t, f)

	// Nothing left to take: 0, no transfer, no error.
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	taken, err = f.k.Slash(f.ctx, op, sovra(1), slashTo, false)
	require.NoError(t, err)
	require.True(t, taken.IsZero())
	require.Equal(t, sovra(5), f.moduleBalance(slashTo))
	requireEvent(t, f.ctx, func(e *types.EventProviderSlashed) bool {
		return e.Amount.String() == "0usovra" && e.Bond.String() == "0usovra"
	})
	checkAll(t, f)

	// The zero bond survives a genesis export and import.
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	g := newFixture(t)
	g.bank.balances = f.bank.balances
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	checkAll(t, g)

	// Adding bond back above min_bond puts it back in the draw.
	f.fund(op, 2)
	_, err = f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op.String(), Amount: bigCoin(2)})
	require.NoError(t, err)
	require.Equal(t, sovra(2), f.weight(t, op))
	require.Contains(t, f.drawCounts(t, 300), op.String())
	checkAll(t, f)
}

// TestSlashBelowMinBond: a provider left with 0 < bond < min_bond has weight 0, is not
// listed for the minimum price and takes no job until it adds bond.
func TestSlashBelowMinBond(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	cheap := sdk.NewInt64Coin(denom, 1)
	_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), PricePerToken: &cheap})
	require.NoError(t, err)
	other := f.register(t, 2, 3) // price 2

	taken, err := f.k.Slash(f.ctx, op, sdkmath.NewInt(4_500_000), slashTo, false)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(4_500_000), taken)
	p := f.provider(t, op)
	require.Equal(t, sdkmath.NewInt(500_000), p.Bond.Amount)
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status)
	require.True(t, f.weight(t, op).IsZero(), "bond below min_bond: weight 0")
	minPrice, ok, err := f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, sdkmath.NewInt(2), minPrice, "the under-bonded provider's price is not listed")
	require.Equal(t, map[string]int{other.String(): 200}, f.drawCounts(t, 200))
	err = f.k.LockCollateral(f.ctx, op, sdkmath.ZeroInt())
	require.ErrorIs(t, err, types.ErrBondTooLow)
	require.Contains(t, err.Error(), "until it adds bond")
	checkAll(t, f)

	f.fund(op, 1)
	_, err = f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op.String(), Amount: bigCoin(1)})
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(1_500_000), f.weight(t, op))
	minPrice, _, err = f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(1), minPrice)
	require.NoError(t, f.k.LockCollateral(f.ctx, op, sdkmath.NewInt(100)))
	checkAll(t, f)
}

// TestSlashPartialWeightInDraws: a partially slashed provider is drawn with its new weight.
func TestSlashPartialWeightInDraws(t *testing.T) {
	f := newFixture(t)
	a := f.register(t, 1, 6)
	b := f.register(t, 2, 2)
	_, err := f.k.Slash(f.ctx, a, sovra(4), slashTo, false)
	require.NoError(t, err)
	checkAll(t, f)
	const n = 4000
	got := f.drawCounts(t, n)
	// a and b both weigh 2 SOVRA now: half the draws each (it was 3/4 for a before).
	sigma := math.Sqrt(n * 0.5 * 0.5)
	require.InDelta(t, n/2, float64(got[a.String()]), 4.5*sigma, "draws %v", got)
	require.Equal(t, n, got[a.String()]+got[b.String()])
}

func TestSlashJail(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	other := f.register(t, 2, 3)
	ctx := f.ctx.WithBlockHeight(50).WithEventManager(sdk.NewEventManager())
	_, err := f.k.Slash(ctx, op, sovra(1), slashTo, true)
	require.NoError(t, err)
	p := f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_JAILED, p.Status)
	require.Equal(t, int64(150), p.JailedUntil, "jailed for jail_blocks (100)")
	requireEvent(t, ctx, func(e *types.EventProviderJailed) bool { return e.Operator == op.String() && e.JailedUntil == 150 })
	requireEvent(t, ctx, func(e *types.EventProviderSlashed) bool {
		return e.Operator == op.String() && e.Jailed && e.Amount.String() == "1000000usovra"
	})
	require.True(t, f.weight(t, op).IsZero(), "a jailed provider is out of the draw")
	require.Equal(t, map[string]int{other.String(): 200}, f.drawCounts(t, 200))
	checkAll(t, f)

	// Slashing a jailed provider again extends the jail to now + jail_blocks, never shortens it.
	ctx = f.ctx.WithBlockHeight(120)
	_, err = f.k.Slash(ctx, op, sovra(1), slashTo, true)
	require.NoError(t, err)
	require.Equal(t, int64(220), f.provider(t, op).JailedUntil)
	ctx = f.ctx.WithBlockHeight(60).WithEventManager(sdk.NewEventManager())
	_, err = f.k.Slash(ctx, op, sovra(1), slashTo, true)
	require.NoError(t, err)
	require.Equal(t, int64(220), f.provider(t, op).JailedUntil)
	requireEvent(t, ctx, func(e *types.EventProviderSlashed) bool { return e.Jailed })

	// Unjail after the period: back in the draw with the remaining bond (2 SOVRA).
	_, err = f.ms.Unjail(f.ctx.WithBlockHeight(220), &types.MsgUnjail{Operator: op.String()})
	require.NoError(t, err)
	require.Equal(t, sovra(2), f.weight(t, op))
	checkAll(t, f)
}

// TestSlashUnbonding: the unbonding queue returns the bond as it is at completion, so a
// slash during unbonding reduces the payout and the slashed coins are paid out once.
func TestSlashUnbonding(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	gone := f.register(t, 3, 2)
	f.register(t, 2, 3)
	for _, o := range []sdk.AccAddress{op, gone} {
		_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: o.String()})
		require.NoError(t, err)
	}

	ctx := f.ctx.WithEventManager(sdk.NewEventManager())
	taken, err := f.k.Slash(ctx, op, sovra(2), slashTo, true)
	require.NoError(t, err)
	require.Equal(t, sovra(2), taken)
	p := f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_UNBONDING, p.Status, "an unbonding provider is not jailed")
	require.Equal(t, int64(110), p.UnbondingHeight)
	requireEvent(t, ctx, func(e *types.EventProviderSlashed) bool { return !e.Jailed })
	taken, err = f.k.Slash(ctx, gone, sovra(50), slashTo, false)
	require.NoError(t, err)
	require.Equal(t, sovra(2), taken)
	checkAll(t, f)

	f.ctx = f.ctx.WithBlockHeight(110)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, sovra(3), f.balance(op), "the operator gets the slashed bond back, not the original")
	require.True(t, f.balance(gone).IsZero(), "nothing left to return")
	for _, o := range []sdk.AccAddress{op, gone} {
		_, err = f.k.GetProvider(f.ctx, o)
		require.ErrorIs(t, err, types.ErrProviderNotFound)
	}
	require.Equal(t, sovra(4), f.moduleBalance(slashTo))
	require.Equal(t, sovra(3), f.balance(f.k.ModuleAddress()), "only the remaining provider's bond")
	checkAll(t, f)
}

// TestSlashBadInputChangesNothing: errors leave store, balances and events untouched.
func TestSlashBadInputChangesNothing(t *testing.T) {
	cases := []struct {
		name      string
		operator  sdk.AccAddress
		amount    sdkmath.Int
		recipient string
		wantErr   error
	}{
		{"zero amount", addr(1), sdkmath.ZeroInt(), slashTo, types.ErrInvalidSlash},
		{"negative amount", addr(1), sdkmath.NewInt(-1), slashTo, types.ErrInvalidSlash},
		{"nil amount", addr(1), sdkmath.Int{}, slashTo, types.ErrInvalidSlash},
		{"unknown provider", addr(9), sovra(1), slashTo, types.ErrProviderNotFound},
		{"to itself", addr(1), sovra(1), types.ModuleName, types.ErrInvalidSlash},
		{"no recipient", addr(1), sovra(1), "", types.ErrInvalidSlash},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.register(t, 1, 5)
			f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
			store, bank := f.storeSnapshot(), f.bank.snapshot()
			taken, err := f.k.Slash(f.ctx, tc.operator, tc.amount, tc.recipient, true)
			require.ErrorIs(t, err, tc.wantErr)
			require.True(t, taken.IsNil())
			require.Equal(t, store, f.storeSnapshot(), "store changed")
			require.Equal(t, bank, f.bank.snapshot(), "balances changed")
			require.Empty(t, f.ctx.EventManager().Events(), "events emitted")
		})
	}
}

// TestMinBondChangeReindexes: raising min_bond takes the providers below it out of the
// draw and the price index; lowering it brings them back.
func TestMinBondChangeReindexes(t *testing.T) {
	f := newFixture(t)
	small := f.register(t, 1, 2)
	cheap := sdk.NewInt64Coin(denom, 1)
	_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: small.String(), PricePerToken: &cheap})
	require.NoError(t, err)
	f.register(t, 2, 5)
	setMin := func(n int64) {
		t.Helper()
		params := types.DefaultParams()
		params.MinBond = bigCoin(n)
		_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
		require.NoError(t, err)
		checkAll(t, f)
	}
	setMin(3)
	require.True(t, f.weight(t, small).IsZero())
	minPrice, _, err := f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(2), minPrice)
	setMin(1)
	require.Equal(t, sovra(2), f.weight(t, small))
	minPrice, _, err = f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(1), minPrice)
}

func TestRecordAudit(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	for _, o := range []types.AuditOutcome{types.AuditPassed, types.AuditPassed, types.AuditFailed, types.AuditMissed, types.AuditPassed} {
		require.NoError(t, f.k.RecordAudit(f.ctx, op, o))
	}
	p := f.provider(t, op)
	require.Equal(t, uint64(3), p.AuditsPassed)
	require.Equal(t, uint64(1), p.AuditsFailed)
	require.Equal(t, uint64(1), p.AuditsMissed)
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status, "an outcome only counts")
	require.Equal(t, sovra(5), f.weight(t, op))

	store := f.storeSnapshot()
	for _, bad := range []types.AuditOutcome{0, 4, -1} {
		require.ErrorIs(t, f.k.RecordAudit(f.ctx, op, bad), types.ErrInvalidAuditOutcome, bad.String())
	}
	require.ErrorIs(t, f.k.RecordAudit(f.ctx, addr(9), types.AuditPassed), types.ErrProviderNotFound)
	require.Equal(t, store, f.storeSnapshot())

	// Unbonding providers still count; once removed, outcomes are ignored for
	// unbonding_period blocks, then the address is unknown.
	_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op.String()})
	require.NoError(t, err)
	require.NoError(t, f.k.RecordAudit(f.ctx, op, types.AuditMissed))
	require.Equal(t, uint64(2), f.provider(t, op).AuditsMissed)
	f.ctx = f.ctx.WithBlockHeight(110)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	store = f.storeSnapshot()
	require.NoError(t, f.k.RecordAudit(f.ctx, op, types.AuditFailed), "departed provider: no effect")
	require.Equal(t, store, f.storeSnapshot())
	_, err = f.k.Slash(f.ctx, op, sovra(1), slashTo, false)
	require.ErrorIs(t, err, types.ErrProviderNotFound, "a departed provider cannot be slashed")

	f.ctx = f.ctx.WithBlockHeight(209)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.NoError(t, f.k.RecordAudit(f.ctx, op, types.AuditPassed))
	f.ctx = f.ctx.WithBlockHeight(210)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.ErrorIs(t, f.k.RecordAudit(f.ctx, op, types.AuditPassed), types.ErrProviderNotFound, "retention over")
	has, err := f.k.DepartedQueue.Has(f.ctx, collections.Join(int64(210), op))
	require.NoError(t, err)
	require.False(t, has, "queue drained")
}

// TestDepartedReRegistered: an operator that leaves, comes back and leaves again keeps its
// later retention when the first one expires.
func TestDepartedReRegistered(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 2)
	leave := func(at int64) {
		t.Helper()
		_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op.String()})
		require.NoError(t, err)
		f.ctx = f.ctx.WithBlockHeight(at)
		require.NoError(t, f.k.EndBlocker(f.ctx))
	}
	leave(110) // departed until 210
	f.register(t, 1, 2)
	require.NoError(t, f.k.RecordAudit(f.ctx, op, types.AuditPassed))
	require.Equal(t, uint64(1), f.provider(t, op).AuditsPassed, "re-registered: counted")
	leave(210) // the 210 expiry of the first departure runs in this block; departed until 310
	require.NoError(t, f.k.RecordAudit(f.ctx, op, types.AuditPassed))
	f.ctx = f.ctx.WithBlockHeight(310)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.ErrorIs(t, f.k.RecordAudit(f.ctx, op, types.AuditPassed), types.ErrProviderNotFound)
}

// TestAHugeJailPeriodNeverWraps: governance may set jail_blocks beyond the heights left;
// the jail then lasts for ever instead of wrapping to a negative height that would let
// the provider unjail at once.
func TestAHugeJailPeriodNeverWraps(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.JailBlocks = math.MaxUint64
	require.NoError(t, f.k.Params.Set(f.ctx, params))
	_, err = f.k.Slash(f.ctx.WithBlockHeight(50), op, sovra(1), slashTo, true)
	require.NoError(t, err)
	require.Equal(t, int64(math.MaxInt64), f.provider(t, op).JailedUntil)
	_, err = f.ms.Unjail(f.ctx.WithBlockHeight(51), &types.MsgUnjail{Operator: op.String()})
	require.ErrorIs(t, err, types.ErrJailPeriodNotOver)
}
