package types

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

// BankKeeper moves escrow in and out of the module account.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, module string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, module string, recipient sdk.AccAddress, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// AccountKeeper resolves the module account address.
type AccountKeeper interface {
	GetModuleAddress(name string) sdk.AccAddress
}

// ProviderKeeper is the part of x/provider that the escrow needs.
type ProviderKeeper interface {
	GetModel(ctx context.Context, id string) (providertypes.Model, error)
	GetProvider(ctx context.Context, operator sdk.AccAddress) (providertypes.Provider, error)
	GetProviderByWorker(ctx context.Context, worker sdk.AccAddress) (providertypes.Provider, error)
	BondDenom(ctx context.Context) (string, error)
	MinPrice(ctx context.Context, modelID string) (math.Int, bool, error)
	DrawProvider(ctx context.Context, modelID string, seed []byte, accept func(providertypes.Provider) bool, maxAttempts uint32) (providertypes.Provider, bool, error)
	LockCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error
	ReleaseCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error
	FreeSlots(ctx context.Context, operator sdk.AccAddress, n uint32) error
	UnlockCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error
	MinFreePrice(ctx context.Context, modelID string) (math.Int, bool, error)
	RecordJobDone(ctx context.Context, operator sdk.AccAddress) error
	RecordMiss(ctx context.Context, operator sdk.AccAddress) error
}

// BeaconKeeper gives the randomness of a height: ok is false when the height's beacon is
// weak and may not be used (x/beacon's Randomness): the work that needs it waits.
type BeaconKeeper interface {
	Randomness(ctx context.Context, height int64) (out []byte, ok bool, err error)
}

// RewardsKeeper splits settled jobs' fees: each fee on its own, the sums moved with one
// transfer per recipient (x/rewards DistributeFees).
type RewardsKeeper interface {
	DistributeFees(ctx context.Context, fromModule string, fees []rewardstypes.ProviderFee) (rewardstypes.FeeSplit, error)
}

// AuditDecision is x/verify's answer at a job's decision height.
type AuditDecision int

const (
	// DecisionSettle: not audited; the job settles.
	DecisionSettle AuditDecision = iota
	// DecisionAudit: audited; x/verify owns the job until its verdict.
	DecisionAudit
	// DecisionRefund: drawn for audit but no verifier can be drawn: no result is paid
	// without a real chance of audit, so the submitter is refunded and the provider is not
	// paid (nobody is convicted).
	DecisionRefund
)

// AuditHooks are x/task's hooks into the audit module (x/verify), passed to NewKeeper:
// at the decision height DecideAudit says whether the job is audited, CanVerify tells
// whether a provider's result could be audited at all (a job is only assigned when another
// operator could verify it), and CollateralMultiplier sets the collateral a job locks,
// since that is validated together with the audit rate. A keeper built without hooks (nil)
// settles every job at its decision height and locks DefaultCollateralMultiplier × the
// provider's maximum charge: that is the keeper x/verify itself holds, which only settles,
// fails and refunds jobs and never reaches a hook (see the README's "Hooks").
type AuditHooks interface {
	DecideAudit(ctx context.Context, job Job) (AuditDecision, error)
	CanVerify(ctx context.Context, modelID string, seed []byte, provider providertypes.Provider) (bool, error)
	CollateralMultiplier(ctx context.Context) (uint64, error)
}

// DefaultCollateralMultiplier applies when the keeper has no AuditHooks (1 / the default
// 10% audit rate).
const DefaultCollateralMultiplier = 10
