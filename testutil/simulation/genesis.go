package simulation

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/app"
	beaconsim "github.com/sovra-network/sovra/x/beacon/simulation"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
)

// genesis builds a random genesis with the SDK's generator (simtestutil.AppStateFn: each
// module's GenerateGenesisState, the staking pools funded), from accounts:
// between 2 and 6 validators bonded at genesis, each a simulated account whose
// consensus key is the account's, and the VRF keys of x/beacon (beaconsim.VRFKey) for
// them when require_vrf is on, and half of the time when it is off (a chain where some
// validators prove and the others make weak beacons); with require_vrf off and no key it
// is a dev chain whose weak beacons are used.
func genesis(r *rand.Rand, a *app.App, sm *module.SimulationManager, accs []simtypes.Account, dir string) (json.RawMessage, time.Time, error) {
	bonded := 2 + r.Intn(5)
	params := map[string]any{simtestutil.InitiallyBondedValidators: bonded}
	bz, err := json.Marshal(params)
	if err != nil {
		return nil, time.Time{}, err
	}
	paramsFile := filepath.Join(dir, "sim-params.json")
	if err := os.WriteFile(paramsFile, bz, 0o600); err != nil {
		return nil, time.Time{}, err
	}
	keys := r.Intn(2) == 0
	cdc := a.AppCodec()
	withKeys := func(raw map[string]json.RawMessage) {
		var sg stakingtypes.GenesisState
		cdc.MustUnmarshalJSON(raw[stakingtypes.ModuleName], &sg)
		var bg beacontypes.GenesisState
		cdc.MustUnmarshalJSON(raw[beacontypes.ModuleName], &bg)
		if bg.Params.RequireVrf || keys {
			byValoper := make(map[string]simtypes.Account, len(accs))
			for _, acc := range accs {
				byValoper[valoper(acc)] = acc
			}
			var valopers []string
			for _, v := range sg.Validators {
				valopers = append(valopers, v.OperatorAddress)
			}
			beaconsim.GenesisVRFKeys(&bg, ChainID, valopers, byValoper)
		}
		raw[beacontypes.ModuleName] = cdc.MustMarshalJSON(&bg)
	}
	genesisTime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int63n(365*24)) * time.Hour)
	fn := simtestutil.AppStateFnWithExtendedCbs(cdc, sm, a.DefaultGenesis(), nil, withKeys)
	state, _, chainID, _ := fn(r, accs, simtypes.Config{ChainID: ChainID, GenesisTime: genesisTime.Unix(), ParamsFile: paramsFile})
	if chainID != ChainID {
		return nil, time.Time{}, fmt.Errorf("genesis for chain %q, want %q", chainID, ChainID)
	}
	return state, genesisTime, nil
}

// consensusParams are the SDK test defaults with blocks as large as a localnet allows and
// no consensus-level authority (the SDK modules check their own, Sovra's gov account), as
// testutil/appfixture uses.
func consensusParams() *cmtproto.ConsensusParams {
	p := *simtestutil.DefaultConsensusParams
	block := *p.Block
	block.MaxBytes, block.MaxGas = 21<<20, -1
	p.Block = &block
	p.Authority = nil
	return &p
}
