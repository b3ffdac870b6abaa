package types

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountKeeper resolves module account addresses.
type AccountKeeper interface {
	GetModuleAddress(moduleName string) sdk.AccAddress
}

// BankKeeper moves, burns and reads balances.
type BankKeeper interface {
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// DistrKeeper funds the community pool (x/distribution).
type DistrKeeper interface {
	FundCommunityPool(ctx context.Context, amount sdk.Coins, sender sdk.AccAddress) error
}

// VerificationHooks are x/rewards' hooks into the audit module (x/verify), passed to
// NewKeeper: UpdateParams refuses a verification_share below MinVerificationShare, what
// audits pay out of the verification pool on average. A keeper built without hooks (nil)
// accepts any valid split: that is the keeper x/task and x/verify hold, which never
// change the params (see the README's "Hooks").
type VerificationHooks interface {
	MinVerificationShare(ctx context.Context) (math.LegacyDec, error)
}
