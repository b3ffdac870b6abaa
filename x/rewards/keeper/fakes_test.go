package keeper_test

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

const distrModule = "distribution"

// fakeAccountKeeper derives module addresses like x/auth.
type fakeAccountKeeper struct{}

func (fakeAccountKeeper) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// fakeBank tracks balances per address and fails an operation on request.
type fakeBank struct {
	balances map[string]sdk.Coins
	burned   sdk.Coins
	failOn   string // name of the method to fail, "" for none
}

func newFakeBank() *fakeBank {
	return &fakeBank{balances: map[string]sdk.Coins{}, burned: sdk.NewCoins()}
}

func modAddr(name string) sdk.AccAddress { return authtypes.NewModuleAddress(name) }

func (b *fakeBank) balance(addr sdk.AccAddress) sdk.Coins {
	if c, ok := b.balances[string(addr)]; ok {
		return c
	}
	return sdk.NewCoins()
}

func (b *fakeBank) moduleBalance(name string) sdk.Coins { return b.balance(modAddr(name)) }

func (b *fakeBank) fund(addr sdk.AccAddress, amt sdk.Coins) {
	b.balances[string(addr)] = b.balance(addr).Add(amt...)
}

// snapshot copies all balances so a test can assert that nothing moved.
func (b *fakeBank) snapshot() map[string]string {
	out := map[string]string{"burned": b.burned.String()}
	for k, v := range b.balances {
		out[k] = v.String()
	}
	return out
}

func (b *fakeBank) move(op string, from, to sdk.AccAddress, amt sdk.Coins) error {
	if b.failOn == op {
		return fmt.Errorf("injected failure in %s", op)
	}
	if !amt.IsValid() {
		return fmt.Errorf("invalid coins %q", amt)
	}
	rest, neg := b.balance(from).SafeSub(amt...)
	if neg {
		return fmt.Errorf("insufficient funds: %s < %s", b.balance(from), amt)
	}
	b.balances[string(from)] = rest
	if to != nil {
		b.fund(to, amt)
	}
	return nil
}

func (b *fakeBank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	return b.move("SendCoinsFromModuleToModule", modAddr(from), modAddr(to), amt)
}

func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, from string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.move("SendCoinsFromModuleToAccount", modAddr(from), to, amt)
}

func (b *fakeBank) BurnCoins(_ context.Context, name string, amt sdk.Coins) error {
	if err := b.move("BurnCoins", modAddr(name), nil, amt); err != nil {
		return err
	}
	b.burned = b.burned.Add(amt...)
	return nil
}

func (b *fakeBank) GetAllBalances(_ context.Context, addr sdk.AccAddress) sdk.Coins {
	return b.balance(addr)
}

// fakeDistr moves the coins to the distribution module account, like x/distribution.
type fakeDistr struct {
	bank          *fakeBank
	communityPool sdk.Coins
}

func (d *fakeDistr) FundCommunityPool(_ context.Context, amount sdk.Coins, sender sdk.AccAddress) error {
	if err := d.bank.move("FundCommunityPool", sender, modAddr(distrModule), amount); err != nil {
		return err
	}
	d.communityPool = d.communityPool.Add(amount...)
	return nil
}
