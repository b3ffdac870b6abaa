package types

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// TaskKeeper ends audited jobs.
type TaskKeeper interface {
	GetJob(ctx context.Context, id uint64) (tasktypes.Job, error)
	SettleJob(ctx context.Context, job tasktypes.Job) error
	FailJob(ctx context.Context, job tasktypes.Job) error
	RefundAuditedJob(ctx context.Context, job tasktypes.Job) error
	RetentionBlocks(ctx context.Context) (uint64, error)
}

// ProviderKeeper draws verifiers, slashes and counts audit outcomes.
type ProviderKeeper interface {
	GetProvider(ctx context.Context, operator sdk.AccAddress) (providertypes.Provider, error)
	GetModel(ctx context.Context, id string) (providertypes.Model, error)
	GetProviderByWorker(ctx context.Context, worker sdk.AccAddress) (providertypes.Provider, error)
	DrawVerifiers(ctx context.Context, modelID string, seed []byte, n int, provider providertypes.Provider, exclude func(providertypes.Provider) bool) ([]providertypes.Provider, error)
	Slash(ctx context.Context, operator sdk.AccAddress, amount math.Int, recipientModule string, jail bool) (math.Int, error)
	RecordAudit(ctx context.Context, operator sdk.AccAddress, outcome providertypes.AuditOutcome) error
	Jail(ctx context.Context, operator sdk.AccAddress) error
	AuditOpened(ctx context.Context, operator sdk.AccAddress) error
	AuditClosed(ctx context.Context, operator sdk.AccAddress) error
	LockStake(ctx context.Context, operator sdk.AccAddress, amount math.Int) error
	ReleaseStake(ctx context.Context, operator sdk.AccAddress, amount math.Int) error
}

// BeaconKeeper gives the randomness of a height.
type BeaconKeeper interface {
	GetBeacon(ctx context.Context, height int64) (beacontypes.Beacon, error)
	Randomness(ctx context.Context, height int64) (out []byte, ok bool, err error)
}

// RewardsKeeper pays verifiers from the pool and credits bounties.
type RewardsKeeper interface {
	PayFromVerificationPool(ctx context.Context, addr sdk.AccAddress, source string, amount sdk.Coins) error
	Accrue(ctx context.Context, fromModule string, addr sdk.AccAddress, source string, amount sdk.Coins) error
	GetParams(ctx context.Context) (rewardstypes.Params, error)
	VerificationPoolAddress() sdk.AccAddress
}

// BankKeeper burns what is left of a slash.
type BankKeeper interface {
	BurnCoins(ctx context.Context, module string, amt sdk.Coins) error
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}
