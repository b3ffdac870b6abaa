package types

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/sovra-network/sovra/x/internal/x25519key"
)

// Bounds on sampling parameters, in thousandths.
const (
	MaxTemperatureMilli = 2000
	MaxTopPMilli        = 1000
	OutputKeySize       = 32
	CommitmentSize      = 32
)

var (
	_ sdk.Msg = &MsgSubmitJob{}
	_ sdk.Msg = &MsgCommitResult{}
	_ sdk.Msg = &MsgCancelJob{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// ValidateBasic checks what can be checked without state.
func (m *MsgSubmitJob) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Submitter); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "submitter: %s", err)
	}
	if m.ModelId == "" {
		return errorsmod.Wrap(ErrInvalidJob, "model id is empty")
	}
	if m.Prompt == "" {
		return errorsmod.Wrap(ErrInvalidJob, "prompt is empty")
	}
	if m.MaxOutputTokens == 0 {
		return errorsmod.Wrap(ErrInvalidJob, "max output tokens must be at least 1")
	}
	if err := m.MaxFee.Validate(); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidCoins, "max fee: %s", err)
	}
	if !m.MaxFee.IsPositive() {
		return errorsmod.Wrap(sdkerrors.ErrInvalidCoins, "max fee must be positive")
	}
	if err := x25519key.Check(m.OutputKey); err != nil {
		return errorsmod.Wrapf(ErrInvalidJob, "output key %s", err)
	}
	return m.Sampling.Validate()
}

// Validate bounds the fixed-point sampling parameters.
func (s Sampling) Validate() error {
	if s.TemperatureMilli > MaxTemperatureMilli {
		return errorsmod.Wrapf(ErrInvalidJob, "temperature must be at most %d/1000, got %d/1000", MaxTemperatureMilli, s.TemperatureMilli)
	}
	if s.TopPMilli > MaxTopPMilli {
		return errorsmod.Wrapf(ErrInvalidJob, "top_p must be at most 1, got %d/1000", s.TopPMilli)
	}
	return nil
}

// ValidateBasic checks each result's shape; state checks happen in the handler.
func (m *MsgCommitResult) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Worker); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "worker: %s", err)
	}
	if len(m.Results) == 0 {
		return errorsmod.Wrap(ErrInvalidResult, "no results")
	}
	seen := make(map[uint64]struct{}, len(m.Results))
	for _, r := range m.Results {
		if _, dup := seen[r.JobId]; dup {
			return errorsmod.Wrapf(ErrDuplicateResult, "job %d", r.JobId)
		}
		seen[r.JobId] = struct{}{}
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks one result's shape.
func (r JobResult) Validate() error {
	if r.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidResult, "job id is 0")
	}
	if len(r.Commitment) != CommitmentSize {
		return errorsmod.Wrapf(ErrInvalidResult, "job %d: commitment must be %d bytes, got %d", r.JobId, CommitmentSize, len(r.Commitment))
	}
	// Zero output tokens is a real output: the model's first token ended generation (the
	// audit trace then covers the stop token alone).
	if r.PromptTokens == 0 {
		return errorsmod.Wrapf(ErrInvalidResult, "job %d: prompt tokens must be at least 1", r.JobId)
	}
	if len(r.SealedOutput) == 0 {
		return errorsmod.Wrapf(ErrInvalidResult, "job %d: sealed output is empty", r.JobId)
	}
	return nil
}

// ValidateBasic checks the signer and id.
func (m *MsgCancelJob) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Submitter); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "submitter: %s", err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidJob, "job id is 0")
	}
	return nil
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Authority); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "authority: %s", err)
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}
