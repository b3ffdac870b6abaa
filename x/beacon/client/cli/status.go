package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// FlagValidator names the validator whose registered key `vrf status` compares with the
// key file (default: the validator of <home>/config/priv_validator_key.json).
const FlagValidator = "validator"

// KeyFileState is what `vrf status` found in the VRF key file.
type KeyFileState struct {
	Path string `json:"path"`
	// Present is true when the file holds a usable key (PubKey).
	Present bool   `json:"present"`
	PubKey  []byte `json:"pub_key,omitempty"`
	// Error is why the file is missing or refused.
	Error string `json:"error,omitempty"`
}

// VRFStatus is the answer of `sovrad vrf status`: can this node's proposals carry a VRF
// proof, and if not, what to do.
type VRFStatus struct {
	State   string `json:"state"`
	Ready   bool   `json:"ready"`
	Summary string `json:"summary"`
	Advice  string `json:"advice,omitempty"`

	KeyFile KeyFileState `json:"key_file"`
	// Validator is the chain's answer (nil when the address is not a validator).
	Validator *types.QueryValidatorResponse `json:"validator,omitempty"`
	// Address is the validator address asked about (operator or consensus).
	Address string `json:"address,omitempty"`
	// Grace explains the grace period of a validator without a registered key.
	Grace string `json:"grace,omitempty"`
}

// ReadKeyFileState reads the key file as the node does: a missing, malformed or
// consensus-equal file gives no key.
func ReadKeyFileState(path string) KeyFileState {
	st := KeyFileState{Path: path}
	key, err := vrf.LoadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		st.Error = "no such file"
		return st
	}
	if err == nil {
		err = vrf.EnsureDistinctFromConsensusKey(key, privValidatorKeyFile(path))
	}
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Present, st.PubKey = true, key.PubKey()
	return st
}

// NewVRFStatus combines the key file and the chain's answer about the validator (nil
// when it is not a validator) into the status.
func NewVRFStatus(kf KeyFileState, address string, val *types.QueryValidatorResponse) VRFStatus {
	var registered []byte
	if val != nil && val.HasKey {
		registered = val.Key.PubKey
	}
	var local []byte
	if kf.Present {
		local = kf.PubKey
	}
	r := types.Evaluate(local, val != nil, registered)
	st := VRFStatus{
		State: r.String(), Ready: r == types.ReadinessReady, Summary: r.Summary(), Advice: r.Advice(),
		KeyFile: kf, Validator: val, Address: address,
	}
	if val != nil && !val.HasKey {
		st.Grace = graceText(val)
	}
	return st
}

func graceText(v *types.QueryValidatorResponse) string {
	switch {
	case !v.RequireVrf:
		return "require_vrf is off: proposals without a VRF proof are accepted"
	case !v.HasBondedHeight && !v.Bonded:
		return fmt.Sprintf("not bonded yet; once bonded it may propose without a proof for vrf_grace_blocks, then its proposals are rejected (height %d)", v.Height)
	case !v.HasBondedHeight:
		return "no bonded height recorded: the grace period starts at its next proposal"
	case v.WeakProposalsAccepted:
		return fmt.Sprintf("first bonded at height %d: proposals without a proof are accepted up to height %d (%d blocks left at height %d), then rejected",
			v.FirstBondedHeight, v.GraceEndHeight, v.GraceEndHeight-v.Height, v.Height)
	default:
		return fmt.Sprintf("first bonded at height %d: the grace period ended at height %d; its proposals are REJECTED (each of its rounds passes to the next proposer) until it registers a key",
			v.FirstBondedHeight, v.GraceEndHeight)
	}
}

// Print writes the status for a person.
func (s VRFStatus) Print(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "VRF status: %s\n  %s\n", s.State, s.Summary)
	if s.KeyFile.Present {
		fmt.Fprintf(&b, "key file:    %s (public key %s)\n", s.KeyFile.Path, base64.StdEncoding.EncodeToString(s.KeyFile.PubKey))
	} else {
		fmt.Fprintf(&b, "key file:    %s: %s\n", s.KeyFile.Path, s.KeyFile.Error)
	}
	if v := s.Validator; v == nil {
		fmt.Fprintf(&b, "validator:   %s is not a validator on this chain\n", s.Address)
	} else {
		bonded := "not bonded"
		if v.Bonded {
			bonded = "bonded"
		}
		fmt.Fprintf(&b, "validator:   %s (%s, %s)\n", v.Validator, v.ConsensusAddress, bonded)
		if v.HasKey {
			fmt.Fprintf(&b, "registered:  %s (at height %d)\n", base64.StdEncoding.EncodeToString(v.Key.PubKey), v.Key.RegisteredHeight)
		} else {
			fmt.Fprintf(&b, "registered:  none\n")
		}
	}
	if s.Grace != "" {
		fmt.Fprintf(&b, "grace:       %s\n", s.Grace)
	}
	if s.Advice != "" {
		fmt.Fprintf(&b, "to do:       %s\n", s.Advice)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// newVRFStatusCmd returns `vrf status`.
func newVRFStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Tell whether this node's proposals can carry a VRF proof, and what to do if not",
		Long: `Read this node's VRF key file and ask the chain (--node) about the validator behind the
node's consensus key (<home>/config/priv_validator_key.json, or --validator): is a VRF key
registered for it, is it this node's key, and, for a validator without one, when its grace
period ends (after it, with require_vrf on, its proposals are rejected).

States: ready | no_key_file | not_validator | not_registered | key_mismatch.
A running node picks up a key file created or replaced after it started at its next
proposal; no restart is needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := keyFilePath(cmd)
			if err != nil {
				return err
			}
			kf := ReadKeyFileState(path)
			address, _ := cmd.Flags().GetString(FlagValidator)
			if address == "" {
				cons, err := vrf.ConsensusAddressFromKeyFile(privValidatorKeyFile(path))
				if err != nil {
					return fmt.Errorf("cannot tell this node's validator: %w; pass --%s", err, FlagValidator)
				}
				address = sdk.ConsAddress(cons).String()
			}
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			var val *types.QueryValidatorResponse
			resp, err := types.NewQueryClient(clientCtx).Validator(cmd.Context(), &types.QueryValidatorRequest{Address: address})
			switch {
			case status.Code(err) == codes.NotFound:
			case err != nil:
				return fmt.Errorf("ask the chain about validator %s (is the node at --%s running?): %w", address, flags.FlagNode, err)
			default:
				val = resp
			}
			st := NewVRFStatus(kf, address, val)
			if out, _ := cmd.Flags().GetString(flags.FlagOutput); out == flags.OutputFormatJSON {
				bz, err := json.MarshalIndent(st, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(bz))
				return err
			}
			return st.Print(cmd.OutOrStdout())
		},
	}
	cmd.Flags().String(FlagKeyFile, "", "VRF key file (default <home>/config/vrf_key.json)")
	cmd.Flags().String(FlagValidator, "", "validator operator (sovravaloper...) or consensus (sovravalcons...) address (default: this node's, from priv_validator_key.json)")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}
