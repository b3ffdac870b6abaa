package types

import errorsmod "cosmossdk.io/errors"

// x/beacon errors.
var (
	ErrBeaconNotFound       = errorsmod.Register(ModuleName, 2, "no beacon stored for this height (pruned or not yet produced)")
	ErrInvalidVRFKey        = errorsmod.Register(ModuleName, 3, "invalid VRF public key")
	ErrInvalidProof         = errorsmod.Register(ModuleName, 4, "VRF proof of possession does not verify")
	ErrKeyAlreadyRegistered = errorsmod.Register(ModuleName, 5, "validator already has a registered VRF key")
	ErrDuplicatePubKey      = errorsmod.Register(ModuleName, 6, "VRF public key is already registered by another validator")
	ErrValidatorNotFound    = errorsmod.Register(ModuleName, 7, "no validator is operated by this account")
	ErrInvalidAuthority     = errorsmod.Register(ModuleName, 8, "invalid authority")
	ErrInvalidParams        = errorsmod.Register(ModuleName, 9, "invalid beacon params")
	ErrInvalidGenesis       = errorsmod.Register(ModuleName, 10, "invalid beacon genesis")
	ErrInvalidEntry         = errorsmod.Register(ModuleName, 11, "invalid beacon entry")
	ErrInvalidAddress       = errorsmod.Register(ModuleName, 12, "invalid address")
	ErrVRFKeyRequired       = errorsmod.Register(ModuleName, 13, "the proposer's VRF grace period is over: it must register a VRF key to propose")
)
