package beacon

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/sovra-network/sovra/x/beacon/types"
)

// AutoCLIOptions declares the beacon query commands; transactions use the custom
// `register-vrf-key` command (it reads the node's key file) and UpdateParams is
// governance-only.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the beacon module params",
				},
				{
					RpcMethod: "Latest",
					Use:       "latest",
					Short:     "Show the beacon of the latest committed height",
				},
				{
					RpcMethod:      "At",
					Use:            "at [height]",
					Short:          "Show the beacon of a height (kept for history_window blocks)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "height"}},
				},
				{
					RpcMethod: "Stats",
					Use:       "stats",
					Short:     "Count VRF and weak (hash-chained) beacon heights",
				},
				{
					RpcMethod: "VRFKeys",
					Use:       "vrf-keys",
					Short:     "List the registered validator VRF keys",
				},
				{
					RpcMethod:      "Validator",
					Use:            "validator [sovravaloper...|sovravalcons...]",
					Short:          "Show a validator's VRF key, first bonded height and grace period end",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "RegisterVRFKey", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
			},
		},
	}
}
