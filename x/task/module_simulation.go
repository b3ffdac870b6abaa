package task

import (
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/sovra-network/sovra/x/task/simulation"
	"github.com/sovra-network/sovra/x/task/types"
)

// The app simulation (testutil/simulation): random genesis and weighted message factories.
var (
	_ module.AppModuleSimulation   = AppModule{}
	_ simsx.HasWeightedOperationsX = AppModule{}
	_ simsx.HasProposalMsgsX       = AppModule{}
)

// GenerateGenesisState writes a random genesis (params).
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

// WeightedOperationsX registers the submitters' and the providers' workers' messages.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("task_msg_submit_job", 100), simulation.MsgSubmitJobFactory(am.keeper, am.providers))
	reg.Add(weights.Get("task_msg_commit_result", 100), simulation.MsgCommitResultFactory(am.keeper, am.providers))
	reg.Add(weights.Get("task_msg_cancel_job", 5), simulation.MsgCancelJobFactory(am.keeper))
}

// ProposalMsgsX registers the governance message, sent through gov proposals.
func (AppModule) ProposalMsgsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("task_msg_update_params", 100), simulation.MsgUpdateParamsFactory())
}
