// Package simulation is x/beacon's part of the app simulation: random params in genesis,
// the VRF keys of the simulated validators (derived from their accounts, so the app
// simulation's block builder can prove with them), the registration of a validator's key
// by message, and governance (params).
package simulation

import (
	"crypto/sha256"
	"fmt"
	"math/rand"

	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// RandomParams returns valid params: a short history (pruning every block), require_vrf
// on three times in four, and a grace period short enough to end within a run.
func RandomParams(r *rand.Rand) types.Params {
	return types.NewParams(
		uint64(1+r.Intn(500)), //nolint:gosec // G115: small positive
		r.Intn(4) != 0,
		uint64(r.Intn(200)), //nolint:gosec // G115: small
	)
}

// RandomizedGenState writes random params. The VRF keys of the genesis validators are
// added by the app simulation (GenesisVRFKeys), which knows the chain id their proofs of
// possession are over.
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand)
	if err := gs.Validate(); err != nil {
		panic(fmt.Sprintf("x/%s simulation genesis: %s", types.ModuleName, err))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

// VRFKey is the VRF key of the validator operated by acc in the simulation, derived from
// the account's private key.
func VRFKey(acc simtypes.Account) vrf.PrivateKey {
	seed := sha256.Sum256(append([]byte("sim/vrf-key"), acc.PrivKey.Bytes()...))
	k, err := vrf.NewKeyFromSeed(seed[:])
	if err != nil {
		panic(err) // a 32-byte seed always makes a key
	}
	return k
}

// GenesisVRFKeys adds to gs the VRF key and proof of possession on chainID of each
// validator operator (valoper address) run by one of accs.
func GenesisVRFKeys(gs *types.GenesisState, chainID string, valopers []string, accs map[string]simtypes.Account) {
	for _, valoper := range valopers {
		acc, ok := accs[valoper]
		if !ok {
			continue
		}
		key := VRFKey(acc)
		proof, _ := key.Prove(vrf.PossessionInput(chainID, valoper))
		gs.VrfKeys = append(gs.VrfKeys, types.VRFKey{Validator: valoper, PubKey: key.PubKey()})
		gs.VrfKeyProofs = append(gs.VrfKeyProofs, proof)
	}
}
