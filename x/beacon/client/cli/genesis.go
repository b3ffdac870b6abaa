package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// AddGenesisVRFKeyCmd returns `add-vrf-key [validator-operator-address]`, which adds
// the node's VRF key with its proof of possession (for the genesis chain id) to the
// beacon section of <home>/config/genesis.json.
func AddGenesisVRFKeyCmd(defaultNodeHome string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-vrf-key [validator-operator-address]",
		Short: "Add this node's VRF key for a genesis validator to genesis.json",
		Long: `Read <home>/config/vrf_key.json, prove possession of the key for the genesis chain id
and the given validator operator address, and append the key and proof to the beacon
module's vrf_keys / vrf_key_proofs in <home>/config/genesis.json.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			valoper := args[0]
			if _, err := sdk.ValAddressFromBech32(valoper); err != nil {
				return fmt.Errorf("%q is not a validator operator address: %w", valoper, err)
			}
			key, _, err := loadKey(cmd)
			if err != nil {
				return err
			}
			genFile := filepath.Join(homeDir(cmd), "config", "genesis.json")
			appGenesis, err := genutiltypes.AppGenesisFromFile(genFile)
			if err != nil {
				return fmt.Errorf("read genesis %s: %w", genFile, err)
			}
			if appGenesis.ChainID == "" {
				return fmt.Errorf("genesis %s has no chain_id", genFile)
			}
			appState := map[string]json.RawMessage{}
			if len(appGenesis.AppState) > 0 {
				if err := json.Unmarshal(appGenesis.AppState, &appState); err != nil {
					return fmt.Errorf("parse app_state of %s: %w", genFile, err)
				}
			}

			cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
			gs := types.DefaultGenesis()
			if raw, ok := appState[types.ModuleName]; ok {
				gs = &types.GenesisState{}
				if err := cdc.UnmarshalJSON(raw, gs); err != nil {
					return fmt.Errorf("parse %s genesis: %w", types.ModuleName, err)
				}
			}
			if err := AddGenesisVRFKey(gs, appGenesis.ChainID, valoper, key); err != nil {
				return err
			}
			raw, err := cdc.MarshalJSON(gs)
			if err != nil {
				return err
			}
			appState[types.ModuleName] = raw
			if appGenesis.AppState, err = json.Marshal(appState); err != nil {
				return err
			}
			if err := genutil.ExportGenesisFile(appGenesis, genFile); err != nil {
				return fmt.Errorf("write genesis %s: %w", genFile, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "added VRF key %s for %s (chain %s)\n",
				base64.StdEncoding.EncodeToString(key.PubKey()), valoper, appGenesis.ChainID)
			return err
		},
	}
	cmd.Flags().String(flags.FlagHome, defaultNodeHome, "The application home directory")
	cmd.Flags().String(FlagKeyFile, "", "VRF key file (default <home>/config/vrf_key.json)")
	return cmd
}

// AddGenesisVRFKey appends key for valoper, with its proof of possession over
// vrf.PossessionInput(chainID, valoper), to gs, refusing a validator that already has
// a key or a key another validator uses.
func AddGenesisVRFKey(gs *types.GenesisState, chainID, valoper string, key vrf.PrivateKey) error {
	for _, k := range gs.VrfKeys {
		if k.Validator == valoper {
			return fmt.Errorf("validator %s already has a VRF key in genesis (%s)", valoper, base64.StdEncoding.EncodeToString(k.PubKey))
		}
		if string(k.PubKey) == string(key.PubKey()) {
			return fmt.Errorf("this VRF key is already registered in genesis for validator %s; each validator needs its own key", k.Validator)
		}
	}
	proof, _ := key.Prove(vrf.PossessionInput(chainID, valoper))
	gs.VrfKeys = append(gs.VrfKeys, types.VRFKey{Validator: valoper, PubKey: key.PubKey()})
	gs.VrfKeyProofs = append(gs.VrfKeyProofs, proof)
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("beacon genesis invalid after adding the key: %w", err)
	}
	return nil
}
