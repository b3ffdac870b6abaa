package types

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/vrf"
)

var (
	_ sdk.Msg = &MsgRegisterVRFKey{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// NewMsgRegisterVRFKey builds a registration message.
func NewMsgRegisterVRFKey(operator string, pubKey, proof []byte) *MsgRegisterVRFKey {
	return &MsgRegisterVRFKey{Operator: operator, PubKey: pubKey, Proof: proof}
}

// ValidateBasic checks the operator address, the key and the proof size. The proof
// itself is verified by the keeper, which knows the chain id and the validator.
func (m *MsgRegisterVRFKey) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Operator); err != nil {
		return fmt.Errorf("%w: operator %q: %w", ErrInvalidAddress, m.Operator, err)
	}
	if err := vrf.ValidatePubKey(m.PubKey); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidVRFKey, err)
	}
	if len(m.Proof) != vrf.ProofSize {
		return fmt.Errorf("%w: proof must be %d bytes, got %d", ErrInvalidProof, vrf.ProofSize, len(m.Proof))
	}
	return nil
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Authority); err != nil {
		return fmt.Errorf("%w: authority %q: %w", ErrInvalidAddress, m.Authority, err)
	}
	return m.Params.Validate()
}
