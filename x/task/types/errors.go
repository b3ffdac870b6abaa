package types

import errorsmod "cosmossdk.io/errors"

// Submission errors.
var (
	ErrInvalidJob       = errorsmod.Register(ModuleName, 2, "invalid job")
	ErrPromptTooLarge   = errorsmod.Register(ModuleName, 3, "prompt exceeds the max_prompt_bytes param")
	ErrTooManyTokens    = errorsmod.Register(ModuleName, 4, "max output tokens exceed the model's context length")
	ErrWrongDenom       = errorsmod.Register(ModuleName, 5, "fee must be paid in the bond denom")
	ErrFeeTooLow        = errorsmod.Register(ModuleName, 6, "max fee cannot cover the provider price")
	ErrNoProvider       = errorsmod.Register(ModuleName, 7, "no active provider serves this model")
	ErrDeadlineTooLong  = errorsmod.Register(ModuleName, 8, "deadline exceeds the max_deadline_blocks param")
	ErrJobNotFound      = errorsmod.Register(ModuleName, 9, "job not found")
	ErrInvalidParams    = errorsmod.Register(ModuleName, 10, "invalid params")
	ErrInvalidAuthority = errorsmod.Register(ModuleName, 11, "invalid authority")
)

// Commit and cancel errors.
var (
	ErrNotWorker         = errorsmod.Register(ModuleName, 20, "signer is not the worker of any provider")
	ErrWrongProvider     = errorsmod.Register(ModuleName, 21, "job is assigned to another provider")
	ErrNotAssigned       = errorsmod.Register(ModuleName, 22, "job is not awaiting a result")
	ErrDeadlinePassed    = errorsmod.Register(ModuleName, 23, "job deadline has passed")
	ErrInvalidResult     = errorsmod.Register(ModuleName, 24, "invalid result")
	ErrOutputTooLarge    = errorsmod.Register(ModuleName, 25, "sealed output exceeds the max_sealed_output_bytes param")
	ErrNotSubmitter      = errorsmod.Register(ModuleName, 26, "only the submitter may cancel a job")
	ErrNotCancellable    = errorsmod.Register(ModuleName, 27, "job can only be cancelled before assignment")
	ErrTooManyResults    = errorsmod.Register(ModuleName, 28, "too many results in one commit")
	ErrDuplicateResult   = errorsmod.Register(ModuleName, 29, "job appears twice in one commit")
	ErrInvalidTransition = errorsmod.Register(ModuleName, 30, "job is not in a state that allows this")
)

// Invariant errors.
var (
	ErrInvariantBroken = errorsmod.Register(ModuleName, 40, "task invariant broken")
)
