package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	beaconkeeper "github.com/sovra-network/sovra/x/beacon/keeper"
	providerkeeper "github.com/sovra-network/sovra/x/provider/keeper"
	rewardskeeper "github.com/sovra-network/sovra/x/rewards/keeper"
	taskkeeper "github.com/sovra-network/sovra/x/task/keeper"
	verifykeeper "github.com/sovra-network/sovra/x/verify/keeper"
)

// moduleAccounts resolves every module account (the app registers them all).
type moduleAccounts struct{}

func (moduleAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// TestNewKeepersValidateAuthority: every Sovra keeper checks its authority with the
// address codec at construction and panics with the module's name when it is not an
// address of the chain, and accepts the gov module account.
func TestNewKeepersValidateAuthority(t *testing.T) {
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	ac := addresscodec.NewBech32Codec("sovra")
	store := runtime.NewKVStoreService(storetypes.NewKVStoreKey("test"))
	gov, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	if err != nil {
		t.Fatal(err)
	}
	build := map[string]func(authority string){
		"beacon": func(a string) { beaconkeeper.NewKeeper(cdc, store, runtime.EventService{}, ac, a, nil) },
		"provider": func(a string) {
			providerkeeper.NewKeeper(cdc, store, runtime.EventService{}, ac, a, nil, moduleAccounts{})
		},
		"rewards": func(a string) {
			rewardskeeper.NewKeeper(cdc, store, runtime.EventService{}, ac, a, moduleAccounts{}, nil, nil, nil)
		},
		"task": func(a string) {
			taskkeeper.NewKeeper(cdc, store, runtime.EventService{}, ac, a, nil, moduleAccounts{}, nil, nil, nil, nil)
		},
		"verify": func(a string) {
			verifykeeper.NewKeeper(cdc, store, runtime.EventService{}, ac, a, moduleAccounts{}, nil, nil, nil, nil, nil)
		},
	}
	for module, newKeeper := range build {
		for _, bad := range []string{"", "gov", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"} {
			msg := panicOf(func() { newKeeper(bad) })
			if want := fmt.Sprintf("x/%s: invalid authority address %q", module, bad); !strings.HasPrefix(msg, want) {
				t.Errorf("%s with authority %q: panic %q, want %q…", module, bad, msg, want)
			}
		}
		if msg := panicOf(func() { newKeeper(gov) }); msg != "" {
			t.Errorf("%s with the gov authority: panic %q", module, msg)
		}
	}
}

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
