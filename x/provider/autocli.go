package provider

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/sovra-network/sovra/x/provider/types"
)

// AutoCLIOptions describes `sovrad q provider ...` and the generated `sovrad tx provider ...`
// commands. `register` is the custom command from GetTxCmd; autocli adds the others to it.
func (am AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the provider registry parameters"},
				{
					RpcMethod:      "Provider",
					Use:            "show [address]",
					Short:          "Show a provider by operator or worker address",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "Providers",
					Use:       "list",
					Short:     "List providers, optionally only those serving --model",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"model": {Name: "model", Usage: "only providers serving this model id"},
					},
				},
				{RpcMethod: "Models", Use: "models", Short: "List the registered models"},
				{
					RpcMethod:      "Model",
					Use:            "model [id]",
					Short:          "Show a registered model",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "RegisterProvider", Skip: true}, // custom `register` command (the worker co-signs)
				{RpcMethod: "ChangeWorker", Skip: true},     // custom `change-worker` command (the worker co-signs)
				{
					// The authority is the gov module: the command submits a proposal with
					// the message (autocli's GovProposal; --no-proposal sends it as a plain
					// tx, for a chain whose authority is an account).
					RpcMethod: "RegisterModel",
					Use:       "register-model [model]",
					Short:     "Propose to register a model, or replace one with the same id (a governance proposal)",
					Long: "Submits a governance proposal with MsgRegisterModel. [model] is the model as JSON " +
						"(or a file holding it): id, sha256 of the GGUF file, context_length, tokenizer, " +
						"chat_template (a chat format name: chatml, llama3, mistral-v7, ... as llama.cpp " +
						"names them; empty for a model without one) and optional trace tolerances.",
					Example: `sovrad tx provider register-model '{"id":"qwen2.5-0.5b-q8_0","sha256":"<64 hex>",` +
						`"context_length":"4096","tokenizer":"gpt2","chat_template":"chatml"}' ` +
						`--title "Register qwen2.5-0.5b" --summary "Q8_0 GGUF" --deposit 10000000usovra --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model"}},
					GovProposal:    true,
				},
				{RpcMethod: "SetAuditKey", Skip: true},  // custom `set-audit-key` (derives the key)
				{RpcMethod: "UpdateParams", Skip: true}, // authority only (gov)
				{
					RpcMethod:      "AddBond",
					Use:            "add-bond [amount]",
					Short:          "Add coins to your provider's bond",
					Example:        "sovrad tx provider add-bond 1000000usovra --from operator",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "amount"}},
				},
				{
					RpcMethod: "Unbond",
					Use:       "unbond",
					Short:     "Start unbonding; the bond returns after the unbonding period (nothing may be locked)",
				},
				{
					RpcMethod: "Unjail",
					Use:       "unjail",
					Short:     "Reactivate your jailed provider once its jail period is over",
				},
				{
					RpcMethod: "UpdateProvider",
					Use:       "update",
					Short:     "Change provider fields; only the flags given change (the worker: change-worker)",
					Example:   "sovrad tx provider update --price-per-token 3usovra --max-jobs 8 --from operator",
				},
			},
		},
	}
}
