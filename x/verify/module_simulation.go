package verify

import (
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/sovra-network/sovra/x/verify/simulation"
	"github.com/sovra-network/sovra/x/verify/types"
)

// The app simulation (testutil/simulation): random genesis and weighted message factories.
var (
	_ module.AppModuleSimulation   = AppModule{}
	_ simsx.HasWeightedOperationsX = AppModule{}
	_ simsx.HasProposalMsgsX       = AppModule{}
)

// GenerateGenesisState writes random params the rewards genesis can pay for.
func (AppModule) GenerateGenesisState(simState *module.SimulationState) {
	simulation.RandomizedGenState(simState)
}

// RegisterStoreDecoder decodes the module's store entries from its collections schema.
func (am AppModule) RegisterStoreDecoder(sdr simtypes.StoreDecoderRegistry) {
	sdr[types.StoreKey] = simtypes.NewStoreDecoderFuncFromCollectionsSchema(am.keeper.Schema)
}

// WeightedOperations is empty: the message factories are registered by WeightedOperationsX.
func (AppModule) WeightedOperations(module.SimulationState) []simtypes.WeightedOperation {
	return nil
}

// WeightedOperationsX registers the audit parties' messages. Each skips when no audit is
// in its phase, which is most of the time.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("verify_msg_open_audit", 100), simulation.MsgOpenAuditFactory(am.sim))
	reg.Add(weights.Get("verify_msg_commit_verification", 80), simulation.MsgCommitVerificationFactory(am.sim))
	reg.Add(weights.Get("verify_msg_reveal", 150), simulation.MsgRevealFactory(am.sim))
	reg.Add(weights.Get("verify_msg_disclose_opening", 40), simulation.MsgDiscloseOpeningFactory(am.sim))
}

// ProposalMsgsX registers the governance message, sent through gov proposals.
func (am AppModule) ProposalMsgsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("verify_msg_update_params", 100), simulation.MsgUpdateParamsFactory(am.sim))
}
