package upgrades_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/sovra-network/sovra/app/upgrades"
)

// versioned is a module at consensus version 2.
type versioned struct{}

func (versioned) Name() string                                                  { return "versioned" }
func (versioned) IsAppModule()                                                  {}
func (versioned) IsOnePerModuleType()                                           {}
func (versioned) ConsensusVersion() uint64                                      { return 2 }
func (versioned) RegisterLegacyAminoCodec(*codec.LegacyAmino)                   {}
func (versioned) RegisterInterfaces(codectypes.InterfaceRegistry)               {}
func (versioned) RegisterGRPCGatewayRoutes(client.Context, *gwruntime.ServeMux) {}

// TestHandlerRunsMigrationsThenAfter: the handler runs the module's migration from the
// stored version to its ConsensusVersion, then After, and returns the new versions; a
// failing migration or After fails the upgrade with its name.
func TestHandlerRunsMigrationsThenAfter(t *testing.T) {
	ctx := testutil.DefaultContext(storetypes.NewKVStoreKey("k"), storetypes.NewTransientStoreKey("t"))
	mm := module.NewManager(versioned{})
	cfg := module.NewConfigurator(codec.NewProtoCodec(codectypes.NewInterfaceRegistry()), nil, nil)
	var steps []string
	var migrateErr error
	if err := cfg.RegisterMigration("versioned", 1, func(sdk.Context) error {
		steps = append(steps, "migrate 1->2")
		return migrateErr
	}); err != nil {
		t.Fatal(err)
	}
	var afterErr error
	u := upgrades.Upgrade{Name: "v2", After: func(_ context.Context, p upgradetypes.Plan) error {
		steps = append(steps, "after "+p.Name)
		return afterErr
	}}
	plan := upgradetypes.Plan{Name: "v2", Height: 10}

	vm, err := u.Handler(mm, cfg)(ctx, plan, module.VersionMap{"versioned": 1})
	if err != nil {
		t.Fatal(err)
	}
	if vm["versioned"] != 2 || strings.Join(steps, ", ") != "migrate 1->2, after v2" {
		t.Fatalf("versions %v, steps %v", vm, steps)
	}

	steps = nil
	if _, err := u.Handler(mm, cfg)(ctx, plan, module.VersionMap{"versioned": 2}); err != nil || strings.Join(steps, ", ") != "after v2" {
		t.Fatalf("module already at 2: steps %v, err %v (want no migration)", steps, err)
	}

	afterErr = errors.New("boom")
	if _, err := u.Handler(mm, cfg)(ctx, plan, module.VersionMap{"versioned": 2}); err == nil || !strings.Contains(err.Error(), `upgrade "v2": boom`) {
		t.Fatalf("After failing: %v", err)
	}
	afterErr, migrateErr = nil, errors.New("bad state")
	if _, err := u.Handler(mm, cfg)(ctx, plan, module.VersionMap{"versioned": 1}); err == nil || !strings.Contains(err.Error(), `upgrade "v2"`) ||
		!strings.Contains(err.Error(), "bad state") {
		t.Fatalf("migration failing: %v", err)
	}
}

// TestValidateAndFind: names must be set and unique; Find looks one up.
func TestValidateAndFind(t *testing.T) {
	ups := []upgrades.Upgrade{{Name: "v2"}, {Name: "v3"}}
	if err := upgrades.Validate(ups); err != nil {
		t.Fatal(err)
	}
	if u, ok := upgrades.Find(ups, "v3"); !ok || u.Name != "v3" {
		t.Fatalf("Find v3: %v %v", u, ok)
	}
	if _, ok := upgrades.Find(ups, "v4"); ok {
		t.Fatal("found v4")
	}
	for _, bad := range [][]upgrades.Upgrade{{{Name: ""}}, {{Name: "v2"}, {Name: "v2"}}} {
		if err := upgrades.Validate(bad); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}
