package provider_test

import (
	"encoding/json"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/sovra-network/sovra/x/provider"
	"github.com/sovra-network/sovra/x/provider/types"
)

// TestAutoCLIOptions checks that every autocli entry names a real RPC and real fields, and
// that the custom tx command carries `register`.
func TestAutoCLIOptions(t *testing.T) {
	opts := provider.AppModule{}.AutoCLIOptions()
	check := func(svc *autocliv1.ServiceCommandDescriptor, want map[string]string) {
		t.Helper()
		d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(svc.Service))
		require.NoError(t, err)
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		got := map[string]string{}
		for _, o := range svc.RpcCommandOptions {
			m := methods.ByName(protoreflect.Name(o.RpcMethod))
			require.NotNil(t, m, "no rpc %s", o.RpcMethod)
			for _, a := range o.PositionalArgs {
				require.NotNil(t, m.Input().Fields().ByName(protoreflect.Name(a.ProtoField)), "%s has no field %s", o.RpcMethod, a.ProtoField)
			}
			for f := range o.FlagOptions {
				require.NotNil(t, m.Input().Fields().ByName(protoreflect.Name(f)), "%s has no field %s", o.RpcMethod, f)
			}
			if o.Skip {
				got[o.RpcMethod] = "skip"
			} else {
				got[o.RpcMethod] = o.Use
			}
		}
		require.Equal(t, want, got)
	}
	check(opts.Query, map[string]string{
		"Params": "params", "Provider": "show [address]", "Providers": "list", "Models": "models", "Model": "model [id]",
	})
	require.True(t, opts.Tx.EnhanceCustomCommand)
	check(opts.Tx, map[string]string{
		"RegisterProvider": "skip", "ChangeWorker": "skip", "RegisterModel": "register-model [model]", "UpdateParams": "skip", "SetAuditKey": "skip",
		"AddBond": "add-bond [amount]", "Unbond": "unbond", "Unjail": "unjail", "UpdateProvider": "update",
	})

	cmd := provider.AppModule{}.GetTxCmd()
	require.Equal(t, types.ModuleName, cmd.Name())
	for _, name := range []string{"register", "change-worker", "set-audit-key"} {
		c, _, err := cmd.Find([]string{name})
		require.NoError(t, err)
		require.Equal(t, name, c.Name())
	}
}

func TestGenesisJSON(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(provider.AppModule{})
	am := provider.AppModule{}
	bz := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, bz))

	var raw map[string]any
	require.NoError(t, json.Unmarshal(bz, &raw))
	params := raw["params"].(map[string]any)
	require.Equal(t, map[string]any{"denom": "usovra", "amount": "1000000"}, params["min_bond"])

	require.Error(t, am.ValidateGenesis(enc.Codec, nil, json.RawMessage(`{"params":{"min_bond":{"denom":"usovra","amount":"0"}}}`)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, json.RawMessage(`not json`)))
}
