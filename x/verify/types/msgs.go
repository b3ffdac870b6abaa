package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

var (
	_ sdk.Msg = &MsgCommitVerification{}
	_ sdk.Msg = &MsgReveal{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// ValidateBasic checks the signer, the job id and the commitment's length.
func (m *MsgCommitVerification) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Signer); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid signer %q: %s", m.Signer, err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidMsg, "job id must be positive")
	}
	if len(m.Commitment) != HashLen {
		return errorsmod.Wrapf(ErrInvalidMsg, "commitment must be %d bytes, got %d", HashLen, len(m.Commitment))
	}
	return nil
}

// ValidateBasic checks the signer, the job id, the hash and the salt's length.
func (m *MsgReveal) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Signer); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid signer %q: %s", m.Signer, err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidMsg, "job id must be positive")
	}
	if len(m.OutputHash) != HashLen {
		return errorsmod.Wrapf(ErrInvalidMsg, "output hash must be %d bytes, got %d", HashLen, len(m.OutputHash))
	}
	if len(m.Salt) < MinSaltLen || len(m.Salt) > MaxSaltLen {
		return errorsmod.Wrapf(ErrInvalidMsg, "salt must be %d to %d bytes, got %d", MinSaltLen, MaxSaltLen, len(m.Salt))
	}
	return nil
}

// ValidateBasic checks the authority's address and the new params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Authority); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid authority %q: %s", m.Authority, err)
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}
