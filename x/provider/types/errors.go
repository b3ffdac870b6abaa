package types

import errorsmod "cosmossdk.io/errors"

// x/provider errors. Codes are part of the API: never renumber.
var (
	ErrInvalidModel           = errorsmod.Register(ModuleName, 2, "invalid model")
	ErrUnknownModel           = errorsmod.Register(ModuleName, 3, "unknown model")
	ErrProviderExists         = errorsmod.Register(ModuleName, 4, "provider already registered")
	ErrProviderNotFound       = errorsmod.Register(ModuleName, 5, "provider not found")
	ErrWorkerInUse            = errorsmod.Register(ModuleName, 6, "worker address already used by another provider")
	ErrBondTooLow             = errorsmod.Register(ModuleName, 7, "bond below the minimum")
	ErrInvalidPrice           = errorsmod.Register(ModuleName, 8, "invalid price per token")
	ErrInvalidBond            = errorsmod.Register(ModuleName, 9, "invalid bond amount")
	ErrCollateralLocked       = errorsmod.Register(ModuleName, 10, "collateral locked by open jobs")
	ErrAlreadyUnbonding       = errorsmod.Register(ModuleName, 11, "provider is unbonding")
	ErrNotJailed              = errorsmod.Register(ModuleName, 12, "provider is not jailed")
	ErrJailPeriodNotOver      = errorsmod.Register(ModuleName, 13, "jail period not over")
	ErrInsufficientCollateral = errorsmod.Register(ModuleName, 14, "insufficient free collateral")
	ErrAtCapacity             = errorsmod.Register(ModuleName, 15, "provider at capacity")
	ErrInvalidAuthority       = errorsmod.Register(ModuleName, 16, "invalid authority")
	ErrInvalidParams          = errorsmod.Register(ModuleName, 17, "invalid params")
	ErrInvalidProvider        = errorsmod.Register(ModuleName, 18, "invalid provider field")
	ErrTooManyModels          = errorsmod.Register(ModuleName, 19, "too many models")
	ErrProviderNotActive      = errorsmod.Register(ModuleName, 20, "provider not active")
	ErrInvalidGenesis         = errorsmod.Register(ModuleName, 21, "invalid genesis")
	ErrInvariantBroken        = errorsmod.Register(ModuleName, 22, "bond invariant broken")
	ErrInvalidSlash           = errorsmod.Register(ModuleName, 23, "invalid slash")
	ErrInvalidAuditOutcome    = errorsmod.Register(ModuleName, 24, "invalid audit outcome")
	ErrAuditOpen              = errorsmod.Register(ModuleName, 25, "provider is party to an open audit")
	ErrInvalidAuditKey        = errorsmod.Register(ModuleName, 26, "invalid audit key")
)
