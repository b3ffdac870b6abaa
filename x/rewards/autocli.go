package rewards

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// AutoCLIOptions defines `sovrad q rewards ...` and `sovrad tx rewards claim`.
func (am AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the fee split params",
				},
				{
					RpcMethod:      "Pending",
					Use:            "pending [address]",
					Short:          "Show an address's unclaimed rewards: the total and per source",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "VerificationPool",
					Use:       "verification-pool",
					Short:     "Show the balance of the verification pool that pays audits",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "ClaimRewards",
					Use:       "claim",
					Short:     "Claim every pending reward of the --from account",
				},
				{
					RpcMethod: "UpdateParams",
					Skip:      true, // authority (gov) only
				},
			},
		},
	}
}
