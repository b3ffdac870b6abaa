package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

var (
	_ sdk.Msg = &MsgOpenAudit{}
	_ sdk.Msg = &MsgDiscloseOpening{}
	_ sdk.Msg = &MsgCommitVerification{}
	_ sdk.Msg = &MsgReveal{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// MaxOpeningBytes bounds one sealed opening (the claimed token ids as JSON, sealed).
const MaxOpeningBytes = 256 << 10

// MaxTracePositions bounds a revealed trace (x/task's max_output_tokens ceiling + 1).
const MaxTracePositions = 1<<16 + 1

// ValidateBasic checks the signer, the job id and every opening's verifier and size.
func (m *MsgOpenAudit) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Signer); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid signer %q: %s", m.Signer, err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidMsg, "job id must be positive")
	}
	if len(m.Openings) == 0 || len(m.Openings) > 64 {
		return errorsmod.Wrapf(ErrInvalidMsg, "between 1 and 64 openings, got %d", len(m.Openings))
	}
	seen := map[string]bool{}
	for _, o := range m.Openings {
		addr, err := sdk.AccAddressFromBech32(o.Verifier)
		if err != nil {
			return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "opening verifier %q: %s", o.Verifier, err)
		}
		// bech32 is case-insensitive: compare the address bytes, not the spelling.
		if seen[string(addr)] {
			return errorsmod.Wrapf(ErrInvalidMsg, "two openings for %s", o.Verifier)
		}
		seen[string(addr)] = true
		if len(o.Sealed) == 0 || len(o.Sealed) > MaxOpeningBytes {
			return errorsmod.Wrapf(ErrInvalidMsg, "opening for %s must be 1 to %d bytes, got %d", o.Verifier, MaxOpeningBytes, len(o.Sealed))
		}
	}
	return nil
}

// ValidateBasic checks the signer, the job id and every key's verifier and length.
func (m *MsgDiscloseOpening) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Signer); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid signer %q: %s", m.Signer, err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidMsg, "job id must be positive")
	}
	if len(m.Keys) == 0 || len(m.Keys) > 64 {
		return errorsmod.Wrapf(ErrInvalidMsg, "between 1 and 64 keys, got %d", len(m.Keys))
	}
	seen := map[string]bool{}
	for _, k := range m.Keys {
		addr, err := sdk.AccAddressFromBech32(k.Verifier)
		if err != nil {
			return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "key verifier %q: %s", k.Verifier, err)
		}
		if seen[string(addr)] {
			return errorsmod.Wrapf(ErrInvalidMsg, "two keys for %s", k.Verifier)
		}
		seen[string(addr)] = true
		if len(k.Key) != 32 {
			return errorsmod.Wrapf(ErrInvalidMsg, "key for %s must be 32 bytes, got %d", k.Verifier, len(k.Key))
		}
	}
	return nil
}

// ValidateBasic checks the signer, the job id and the commitment's length (none with a
// complaint).
func (m *MsgCommitVerification) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Signer); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid signer %q: %s", m.Signer, err)
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrInvalidMsg, "job id must be positive")
	}
	if m.Complaint {
		if len(m.Commitment) != 0 {
			return errorsmod.Wrap(ErrInvalidMsg, "a complaint carries no commitment")
		}
		return nil
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
	if n := m.Trace.Len(); n == 0 || n > MaxTracePositions {
		return errorsmod.Wrapf(ErrInvalidTrace, "trace must cover 1 to %d positions, got %d", MaxTracePositions, n)
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
