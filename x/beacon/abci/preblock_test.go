package abci_test

import (
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	"github.com/sovra-network/sovra/x/beacon/testutil"
)

// modulesFunc is a fake module manager.
type modulesFunc func(sdk.Context) (*sdk.ResponsePreBlock, error)

func (f modulesFunc) PreBlock(ctx sdk.Context) (*sdk.ResponsePreBlock, error) { return f(ctx) }

// TestPreBlockerStoresTheBeaconFirst: the beacon of the height is stored before the
// modules' PreBlock runs (they can read it), from the proposer's entry when it proves,
// as the weak value when there is none; the modules' answer and error are passed on.
func TestPreBlockerStoresTheBeaconFirst(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)

	for _, tc := range []struct {
		name     string
		height   int64
		withTx   bool
		wantWeak bool
	}{
		{"proven entry", 2, true, false},
		{"no entry", 3, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testutil.AtHeight(f.Ctx, tc.height)
			var txs [][]byte
			if tc.withTx {
				txs = [][]byte{f.Entry(t, ctx, v, tc.height)}
			}
			called := false
			want := &sdk.ResponsePreBlock{ConsensusParamsChanged: true}
			h := beaconabci.NewPreBlockHandler(f.Keeper, modulesFunc(func(ctx sdk.Context) (*sdk.ResponsePreBlock, error) {
				called = true
				b, err := f.Keeper.GetBeacon(ctx, tc.height)
				if err != nil {
					t.Fatalf("modules ran before beacon %d was stored: %v", tc.height, err)
				}
				if b.Weak != tc.wantWeak {
					t.Fatalf("beacon %d weak = %v, want %v", tc.height, b.Weak, tc.wantWeak)
				}
				return want, nil
			}))
			got, err := h.PreBlocker(ctx, &abci.RequestFinalizeBlock{Height: tc.height, Txs: txs, ProposerAddress: v.Cons})
			if err != nil {
				t.Fatal(err)
			}
			if !called || got != want {
				t.Fatalf("modules called %v, response %v", called, got)
			}
		})
	}

	boom := errors.New("module failed")
	h := beaconabci.NewPreBlockHandler(f.Keeper, modulesFunc(func(sdk.Context) (*sdk.ResponsePreBlock, error) { return nil, boom }))
	if _, err := h.PreBlocker(testutil.AtHeight(f.Ctx, 4), &abci.RequestFinalizeBlock{Height: 4}); !errors.Is(err, boom) {
		t.Fatalf("error %v, want the modules' error", err)
	}
}
