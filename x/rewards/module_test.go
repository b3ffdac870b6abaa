package rewards_test

import (
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/sovra-network/sovra/x/rewards"
)

// Every autocli command must name a real RPC and real request fields, or sovrad fails at start.
func TestAutoCLIOptionsMatchProto(t *testing.T) {
	opts := rewards.AppModule{}.AutoCLIOptions()
	uses := map[string]string{}
	for _, svc := range []*autocliv1.ServiceCommandDescriptor{opts.Query, opts.Tx} {
		d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(svc.Service))
		require.NoError(t, err, svc.Service)
		sd := d.(protoreflect.ServiceDescriptor)
		for _, o := range svc.RpcCommandOptions {
			m := sd.Methods().ByName(protoreflect.Name(o.RpcMethod))
			require.NotNil(t, m, "%s has no method %s", svc.Service, o.RpcMethod)
			for _, p := range o.PositionalArgs {
				require.NotNil(t, m.Input().Fields().ByName(protoreflect.Name(p.ProtoField)),
					"%s has no field %s", m.Input().FullName(), p.ProtoField)
			}
			uses[o.RpcMethod] = o.Use
		}
	}
	require.Equal(t, map[string]string{
		"Params": "params", "Pending": "pending [address]", "VerificationPool": "verification-pool",
		"ClaimRewards": "claim", "UpdateParams": "",
	}, uses)
}
