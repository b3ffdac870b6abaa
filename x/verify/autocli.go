package verify

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
)

// AutoCLIOptions builds `sovrad q verify audit|audits|stats|params`; `tx verify open`,
// `commit` and `reveal` are custom commands (client/cli) that seal openings, take hex and
// traces, and compute commitments.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: "sovra.verify.v1.Query",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the verification params"},
				{
					RpcMethod: "Audit", Use: "audit [job-id]", Short: "Show the audit of a job: phase, verifiers, reveals, verdict",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}},
				},
				{
					RpcMethod: "Audits", Use: "audits",
					Short: "List audits, optionally by --status (open, commit, reveal, escalating, passed, failed, undecided), --verifier ADDR or --provider ADDR",
				},
				{RpcMethod: "Stats", Use: "stats", Short: "Show audits, passes, failures, escalations, slashes and weak-beacon decisions"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              "sovra.verify.v1.Msg",
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "OpenAudit", Skip: true},
				{RpcMethod: "DiscloseOpening", Skip: true},
				{RpcMethod: "CommitVerification", Skip: true},
				{RpcMethod: "Reveal", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
			},
		},
	}
}
