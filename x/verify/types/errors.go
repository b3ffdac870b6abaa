package types

import errorsmod "cosmossdk.io/errors"

// Errors of the verify module.
var (
	ErrInvalidParams    = errorsmod.Register(ModuleName, 2, "invalid params")
	ErrInvalidGenesis   = errorsmod.Register(ModuleName, 3, "invalid genesis")
	ErrAuditNotFound    = errorsmod.Register(ModuleName, 4, "job is not under audit")
	ErrWrongPhase       = errorsmod.Register(ModuleName, 5, "audit is not in the phase this message belongs to")
	ErrNotSelected      = errorsmod.Register(ModuleName, 6, "signer is not a party of this audit")
	ErrAlreadyCommitted = errorsmod.Register(ModuleName, 7, "verifier has already committed")
	ErrAlreadyRevealed  = errorsmod.Register(ModuleName, 8, "party has already revealed")
	ErrRevealMismatch   = errorsmod.Register(ModuleName, 9, "reveal does not match the commitment")
	ErrInvalidMsg       = errorsmod.Register(ModuleName, 10, "invalid message")
	ErrUnauthorized     = errorsmod.Register(ModuleName, 11, "unauthorized")
	ErrInvalidTrace     = errorsmod.Register(ModuleName, 12, "invalid trace")
	ErrInvalidAuthority = errorsmod.Register(ModuleName, 13, "signer is not the module authority")
	ErrInvariantBroken  = errorsmod.Register(ModuleName, 14, "verify invariant broken")
)
