package task

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
)

// AutoCLIOptions builds `sovrad q task job|jobs|params` and `sovrad tx task cancel`;
// submit, commit-result and output are custom commands (see client/cli).
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              "sovra.task.v1.Query",
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the task module's params"},
				{
					RpcMethod: "Job", Use: "job [id]", Short: "Show one job",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Jobs", Use: "jobs", Short: "List jobs, optionally by --submitter, --provider or --status (pending, assigned, committed, settled, expired, ...)",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              "sovra.task.v1.Msg",
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "CancelJob", Use: "cancel [job-id]", Short: "Cancel a job that has no provider yet; the whole fee is refunded",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}},
				},
				{RpcMethod: "SubmitJob", Skip: true},
				{RpcMethod: "CommitResult", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
			},
		},
	}
}
