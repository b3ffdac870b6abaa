package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/sovra-network/sovra/x/internal/x25519key"
)

var (
	_ sdk.Msg = &MsgRegisterProvider{}
	_ sdk.Msg = &MsgUpdateProvider{}
	_ sdk.Msg = &MsgChangeWorker{}
	_ sdk.Msg = &MsgAddBond{}
	_ sdk.Msg = &MsgUnbond{}
	_ sdk.Msg = &MsgUnjail{}
	_ sdk.Msg = &MsgSetAuditKey{}
	_ sdk.Msg = &MsgRegisterModel{}
	_ sdk.Msg = &MsgUpdateParams{}
)

func validAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "%s %q: %s", field, addr, err)
	}
	return nil
}

// ValidateBasic checks the message without state. Bond and price denoms, the bond minimum,
// max_models and model registration are checked by the keeper.
func (m *MsgRegisterProvider) ValidateBasic() error {
	if err := validAddress("operator", m.Operator); err != nil {
		return err
	}
	if err := validAddress("worker", m.Worker); err != nil {
		return err
	}
	if err := ValidateModelList(m.Models); err != nil {
		return err
	}
	if err := ValidateBondCoin("bond", m.Bond); err != nil {
		return err
	}
	if err := ValidatePrice(m.PricePerToken); err != nil {
		return err
	}
	if err := ValidateProfile(m.Profile); err != nil {
		return err
	}
	if err := ValidateEndpoint(m.Endpoint); err != nil {
		return err
	}
	if err := ValidateHardware(m.Hardware); err != nil {
		return err
	}
	return ValidateMaxJobs(m.MaxJobs)
}

// HasPrice reports whether the update sets a new price (autocli leaves an unset coin nil).
func (m *MsgUpdateProvider) HasPrice() bool {
	return m.PricePerToken != nil && (m.PricePerToken.Denom != "" || !m.PricePerToken.Amount.IsNil())
}

// ValidateBasic checks the fields that are set; an update that sets nothing is an error.
func (m *MsgUpdateProvider) ValidateBasic() error {
	if err := validAddress("operator", m.Operator); err != nil {
		return err
	}
	if len(m.Models) == 0 && !m.HasPrice() && m.Profile == "" &&
		m.Endpoint == "" && m.Hardware == "" && m.MaxJobs == 0 {
		return ErrInvalidProvider.Wrap("update sets no field (the worker changes with MsgChangeWorker)")
	}
	if len(m.Models) > 0 {
		if err := ValidateModelList(m.Models); err != nil {
			return err
		}
	}
	if m.HasPrice() {
		if err := ValidatePrice(*m.PricePerToken); err != nil {
			return err
		}
	}
	if m.Profile != "" {
		if err := ValidateProfile(m.Profile); err != nil {
			return err
		}
	}
	if err := ValidateEndpoint(m.Endpoint); err != nil {
		return err
	}
	if err := ValidateHardware(m.Hardware); err != nil {
		return err
	}
	return ValidateMaxJobs(m.MaxJobs)
}

// ValidateBasic checks both addresses (the worker may be the operator).
func (m *MsgChangeWorker) ValidateBasic() error {
	if err := validAddress("operator", m.Operator); err != nil {
		return err
	}
	return validAddress("worker", m.Worker)
}

// ValidateBasic checks the operator and that the amount is a positive coin.
func (m *MsgAddBond) ValidateBasic() error {
	if err := validAddress("operator", m.Operator); err != nil {
		return err
	}
	return ValidateBondCoin("amount", m.Amount)
}

// ValidateBasic checks the operator address.
func (m *MsgUnbond) ValidateBasic() error { return validAddress("operator", m.Operator) }

// ValidateBasic checks the operator address.
func (m *MsgUnjail) ValidateBasic() error { return validAddress("operator", m.Operator) }

// ValidateBasic checks the authority address and the model.
func (m *MsgRegisterModel) ValidateBasic() error {
	if err := validAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Model.Validate()
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return ErrInvalidParams.Wrap(err.Error())
	}
	return nil
}

// AuditKeySize is the length of an X25519 audit key.
const AuditKeySize = 32

// ValidateAuditKey refuses keys of the wrong size and low-order points (the all-zero key
// among them: anyone could open what is sealed to it).
func ValidateAuditKey(k []byte) error {
	if err := x25519key.Check(k); err != nil {
		return ErrInvalidAuditKey.Wrapf("audit key %s", err)
	}
	return nil
}

// ValidateBasic checks the worker address and the key.
func (m *MsgSetAuditKey) ValidateBasic() error {
	if err := validAddress("worker", m.Worker); err != nil {
		return err
	}
	return ValidateAuditKey(m.AuditKey)
}
