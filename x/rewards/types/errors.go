package types

import errorsmod "cosmossdk.io/errors"

var (
	ErrNothingToClaim     = errorsmod.Register(ModuleName, 2, "no pending rewards to claim")
	ErrInvalidParams      = errorsmod.Register(ModuleName, 3, "invalid rewards params")
	ErrInvalidSource      = errorsmod.Register(ModuleName, 4, "unknown reward source")
	ErrInvalidAmount      = errorsmod.Register(ModuleName, 5, "invalid reward amount")
	ErrInsufficientPool   = errorsmod.Register(ModuleName, 6, "verification pool balance too low")
	ErrInvalidAuthority   = errorsmod.Register(ModuleName, 7, "signer is not the module authority")
	ErrUnclaimedMismatch  = errorsmod.Register(ModuleName, 8, "rewards module balance differs from the sum of unclaimed accruals")
	ErrInvalidGenesis     = errorsmod.Register(ModuleName, 9, "invalid rewards genesis")
	ErrInvalidFromModule  = errorsmod.Register(ModuleName, 10, "invalid source module account")
	ErrModuleAccountUnset = errorsmod.Register(ModuleName, 11, "module account is not registered")
)
