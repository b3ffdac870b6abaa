// Package cli holds the beacon module's hand-written commands: VRF key management,
// genesis key registration and the register-vrf-key transaction. Queries are autocli.
package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/sovra-network/sovra/x/beacon/vrf"
)

const (
	// FlagKeyFile overrides the VRF key file path (default <home>/config/vrf_key.json).
	FlagKeyFile = "vrf-key-file"
	// FlagOverwrite lets `vrf init` replace an existing key file.
	FlagOverwrite = "overwrite"
)

// NewVRFCmd returns `vrf` with `init` and `show`, which manage the node's VRF key file,
// and `status`, which tells whether the node's proposals can carry a VRF proof.
func NewVRFCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vrf",
		Short: "Manage this node's VRF key for the randomness beacon",
		Long: `Manage this node's VRF key (ECVRF-EDWARDS25519-SHA512-ELL2, RFC 9381), stored in
<home>/config/vrf_key.json beside, and never equal to, the consensus key.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(newVRFInitCmd(), newVRFShowCmd(), newVRFStatusCmd())
	return cmd
}

func newVRFInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Generate a VRF key into <home>/config/vrf_key.json and print its public key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := keyFilePath(cmd)
			if err != nil {
				return err
			}
			overwrite, _ := cmd.Flags().GetBool(FlagOverwrite)
			if _, err := os.Stat(path); err == nil && !overwrite {
				return fmt.Errorf("VRF key file %s already exists; pass --%s to replace it (a registered key cannot be changed on chain)", path, FlagOverwrite)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			key, err := vrf.GenerateKey(nil)
			if err != nil {
				return err
			}
			if err := vrf.EnsureDistinctFromConsensusKey(key, privValidatorKeyFile(path)); err != nil {
				return err
			}
			if err := vrf.SaveKeyFile(path, key); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(key.PubKey()))
			return err
		},
	}
	cmd.Flags().Bool(FlagOverwrite, false, "replace an existing VRF key file")
	cmd.Flags().String(FlagKeyFile, "", "VRF key file (default <home>/config/vrf_key.json)")
	return cmd
}

func newVRFShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the public key (base64) of the node's VRF key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, err := loadKey(cmd)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(key.PubKey()))
			return err
		},
	}
	cmd.Flags().String(FlagKeyFile, "", "VRF key file (default <home>/config/vrf_key.json)")
	return cmd
}

// homeDir returns --home when given, else the client context's home, else --home's default.
func homeDir(cmd *cobra.Command) string {
	f := cmd.Flag(flags.FlagHome)
	if f != nil && f.Changed {
		return f.Value.String()
	}
	if cmd.Context() != nil {
		if h := client.GetClientContextFromCmd(cmd).HomeDir; h != "" {
			return h
		}
	}
	if f != nil {
		return f.Value.String()
	}
	return ""
}

func keyFilePath(cmd *cobra.Command) (string, error) {
	if p, _ := cmd.Flags().GetString(FlagKeyFile); p != "" {
		return p, nil
	}
	home := homeDir(cmd)
	if home == "" {
		return "", fmt.Errorf("no home directory: pass --%s or --%s", flags.FlagHome, FlagKeyFile)
	}
	return vrf.DefaultKeyFile(home), nil
}

// loadKey reads the key file and refuses a key equal to the node's consensus key.
func loadKey(cmd *cobra.Command) (vrf.PrivateKey, string, error) {
	path, err := keyFilePath(cmd)
	if err != nil {
		return vrf.PrivateKey{}, "", err
	}
	key, err := vrf.LoadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return vrf.PrivateKey{}, "", fmt.Errorf("no VRF key at %s; create one with `vrf init`", path)
	}
	if err != nil {
		return vrf.PrivateKey{}, "", err
	}
	if err := vrf.EnsureDistinctFromConsensusKey(key, privValidatorKeyFile(path)); err != nil {
		return vrf.PrivateKey{}, "", err
	}
	return key, path, nil
}

// privValidatorKeyFile is the consensus key file beside the VRF key file.
func privValidatorKeyFile(vrfKeyFile string) string {
	return filepath.Join(filepath.Dir(vrfKeyFile), "priv_validator_key.json")
}
