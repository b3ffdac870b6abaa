package appfixture

import (
	"context"
	"fmt"

	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
)

// CheckModuleAccounts checks that every Sovra module account holds exactly what its
// module owes: open escrows (task), bonds (provider), unclaimed rewards (rewards), nothing
// (verify, between blocks), and that every open audit is queued and counted.
func (f *Fixture) CheckModuleAccounts() error { return CheckModuleAccounts(f.Ctx(), f.App) }

// CheckModuleAccounts is Fixture.CheckModuleAccounts on any app's state (the app
// simulation's too).
func CheckModuleAccounts(ctx sdk.Context, a *app.App) error {
	if err := a.TaskKeeper.CheckEscrow(ctx); err != nil {
		return err
	}
	if err := a.ProviderKeeper.CheckBonds(ctx); err != nil {
		return err
	}
	if err := a.VerifyKeeper.CheckInvariants(ctx); err != nil {
		return err
	}
	if err := CheckCollateral(ctx, a); err != nil {
		return err
	}
	return a.RewardsKeeper.CheckUnclaimed(ctx)
}

// CheckIndexes rebuilds every hand-kept index of the Sovra modules from their primary
// state and compares it with the stored one (each module's CheckIndexes).
func (f *Fixture) CheckIndexes() error { return CheckIndexes(f.Ctx(), f.App) }

// CheckIndexes is Fixture.CheckIndexes on any app's state.
func CheckIndexes(ctx sdk.Context, a *app.App) error {
	for _, check := range []func(context.Context) error{
		a.ProviderKeeper.CheckIndexes,
		a.TaskKeeper.CheckIndexes,
		a.VerifyKeeper.CheckIndexes,
	} {
		if err := check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Supply is the total usovra supply.
func (f *Fixture) Supply() sdkmath.Int {
	return f.App.BankKeeper.GetSupply(f.Ctx(), app.BondDenom).Amount
}

// MintedAndBurned sums the usovra minted and burned by the events of a block.
func MintedAndBurned(res *abci.ResponseFinalizeBlock) (minted, burned sdkmath.Int, err error) {
	minted, burned = sdkmath.ZeroInt(), sdkmath.ZeroInt()
	events := append([]abci.Event{}, res.Events...)
	for _, tx := range res.TxResults {
		events = append(events, tx.Events...)
	}
	for _, ev := range events {
		var target *sdkmath.Int
		switch ev.Type {
		case banktypes.EventTypeCoinMint:
			target = &minted
		case banktypes.EventTypeCoinBurn:
			target = &burned
		default:
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key != sdk.AttributeKeyAmount {
				continue
			}
			coins, err := sdk.ParseCoinsNormalized(a.Value)
			if err != nil {
				return minted, burned, fmt.Errorf("%s event amount %q: %w", ev.Type, a.Value, err)
			}
			*target = target.Add(coins.AmountOf(app.BondDenom))
		}
	}
	return minted, burned, nil
}

// InvariantChecker runs every invariant after each block it is told about.
type InvariantChecker struct {
	f          *Fixture
	lastSupply sdkmath.Int
	Blocks     int
}

// NewInvariantChecker starts from the current supply.
func NewInvariantChecker(f *Fixture) *InvariantChecker {
	return &InvariantChecker{f: f, lastSupply: f.Supply()}
}

// Check verifies the module accounts and that supply moved only by mint and burn in
// the last block.
func (c *InvariantChecker) Check() error {
	c.Blocks++
	if err := c.f.CheckModuleAccounts(); err != nil {
		return fmt.Errorf("height %d: %w", c.f.Height(), err)
	}
	if err := c.f.CheckIndexes(); err != nil {
		return fmt.Errorf("height %d: %w", c.f.Height(), err)
	}
	minted, burned, err := MintedAndBurned(c.f.LastBlock)
	if err != nil {
		return err
	}
	supply := c.f.Supply()
	if want := c.lastSupply.Add(minted).Sub(burned); !supply.Equal(want) {
		return fmt.Errorf("height %d: supply %s, want %s (previous %s + minted %s - burned %s)",
			c.f.Height(), supply, want, c.lastSupply, minted, burned)
	}
	c.lastSupply = supply
	return nil
}

// CheckEveryBlock makes the fixture run every invariant after each block and fail the
// test at the first violation, and, when the test ends, check that its final state
// survives a genesis export and import unchanged (GenesisRoundTrip).
func (f *Fixture) CheckEveryBlock() *InvariantChecker {
	c := NewInvariantChecker(f)
	f.AfterBlock = func() {
		if err := c.Check(); err != nil {
			f.T.Fatalf("invariant broken: %v", err)
		}
	}
	// And the state the test leaves survives a genesis export and import unchanged.
	f.T.Cleanup(func() {
		if f.T.Failed() || f.AfterBlock == nil {
			return // a test that broke state on purpose turns the checks off
		}
		if err := f.GenesisRoundTrip(); err != nil {
			f.T.Errorf("at the end of the test, height %d: %v", f.height, err)
		}
	})
	return c
}
