package provider

import (
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/sovra-network/sovra/x/provider/simulation"
	"github.com/sovra-network/sovra/x/provider/types"
)

// The app simulation (testutil/simulation): random genesis and weighted message factories.
var (
	_ module.AppModuleSimulation   = AppModule{}
	_ simsx.HasWeightedOperationsX = AppModule{}
	_ simsx.HasProposalMsgsX       = AppModule{}
)

// GenerateGenesisState writes a random genesis (params and models).
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

// WeightedOperationsX registers the operators' and workers' messages.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("provider_msg_register_provider", 40), simulation.MsgRegisterProviderFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_set_audit_key", 40), simulation.MsgSetAuditKeyFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_update_provider", 15), simulation.MsgUpdateProviderFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_change_worker", 5), simulation.MsgChangeWorkerFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_add_bond", 15), simulation.MsgAddBondFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_unbond", 2), simulation.MsgUnbondFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_unjail", 30), simulation.MsgUnjailFactory(am.keeper))
}

// ProposalMsgsX registers the governance messages, sent through gov proposals.
func (am AppModule) ProposalMsgsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("provider_msg_update_params", 100), simulation.MsgUpdateParamsFactory(am.keeper))
	reg.Add(weights.Get("provider_msg_register_model", 100), simulation.MsgRegisterModelFactory(am.keeper))
}
