package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// StakingKeeper is the part of x/staking the beacon module reads: the proposer's
// validator (by consensus address), a registering operator's validator, the bonded set
// (validators bonded at genesis start their VRF grace period there) and the codecs of
// validator and consensus addresses.
type StakingKeeper interface {
	GetValidator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error)
	GetValidatorByConsAddr(ctx context.Context, consAddr sdk.ConsAddress) (stakingtypes.Validator, error)
	IterateBondedValidatorsByPower(ctx context.Context, fn func(index int64, validator stakingtypes.ValidatorI) (stop bool)) error
	ValidatorAddressCodec() address.Codec
	ConsensusAddressCodec() address.Codec
}
