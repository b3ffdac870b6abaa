package beacon_test

import (
	"testing"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sovra-network/sovra/x/beacon"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
)

func TestAutoCLIOptionsMatchServices(t *testing.T) {
	opts := beacon.NewAppModule(nil, testutil.NewFixture(t).Keeper).AutoCLIOptions()
	for _, desc := range []*autocliv1.ServiceCommandDescriptor{opts.Query, opts.Tx} {
		d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(desc.Service))
		if err != nil {
			t.Fatalf("service %s: %v", desc.Service, err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for _, rpc := range desc.RpcCommandOptions {
			m := methods.ByName(protoreflect.Name(rpc.RpcMethod))
			if m == nil {
				t.Fatalf("%s has no method %s", desc.Service, rpc.RpcMethod)
			}
			for _, arg := range rpc.PositionalArgs {
				if m.Input().Fields().ByName(protoreflect.Name(arg.ProtoField)) == nil {
					t.Fatalf("%s.%s has no field %s", desc.Service, rpc.RpcMethod, arg.ProtoField)
				}
			}
		}
	}
	uses := map[string]bool{}
	for _, rpc := range opts.Query.RpcCommandOptions {
		uses[rpc.Use] = true
	}
	for _, want := range []string{"latest", "at [height]", "stats", "params", "vrf-keys"} {
		if !uses[want] {
			t.Errorf("missing query command %q", want)
		}
	}
	for _, rpc := range opts.Tx.RpcCommandOptions {
		if !rpc.Skip {
			t.Errorf("tx %s should be skipped by autocli", rpc.RpcMethod)
		}
	}
}

type recordingRegistrar struct{ names []string }

func (r *recordingRegistrar) RegisterService(sd *grpc.ServiceDesc, _ any) {
	r.names = append(r.names, sd.ServiceName)
}

func TestModuleGenesisAndServices(t *testing.T) {
	f := testutil.NewFixture(t)
	am := beacon.NewAppModule(f.Cdc, f.Keeper)
	if am.Name() != types.ModuleName || am.ConsensusVersion() != 1 {
		t.Fatal("name or version")
	}
	def := am.DefaultGenesis(f.Cdc)
	if err := am.ValidateGenesis(f.Cdc, nil, def); err != nil {
		t.Fatal(err)
	}
	if err := am.ValidateGenesis(f.Cdc, nil, []byte(`{"params":{"history_window":"0"}}`)); err == nil {
		t.Fatal("zero history window accepted")
	}
	am.InitGenesis(f.Ctx, f.Cdc, def)
	if got := am.ExportGenesis(f.Ctx, f.Cdc); string(got) != string(def) {
		t.Fatalf("export %s != default %s", got, def)
	}

	r := &recordingRegistrar{}
	if err := am.RegisterServices(r); err != nil {
		t.Fatal(err)
	}
	if len(r.names) != 2 {
		t.Fatalf("registered %v", r.names)
	}
	if am.GetTxCmd() == nil {
		t.Fatal("no tx command")
	}
}
