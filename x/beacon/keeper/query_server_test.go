package keeper_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
)

func TestQueries(t *testing.T) {
	f := testutil.NewFixture(t)
	q := keeper.NewQueryServerImpl(f.Keeper)

	if _, err := q.Latest(f.Ctx, &types.QueryLatestRequest{}); status.Code(err) != codes.NotFound {
		t.Fatalf("Latest before any beacon: %v", err)
	}
	if _, err := q.At(f.Ctx, &types.QueryAtRequest{Height: 0}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("At(0): %v", err)
	}
	if _, err := q.At(f.Ctx, &types.QueryAtRequest{Height: 3}); status.Code(err) != codes.NotFound {
		t.Fatalf("At(3) before any beacon: %v", err)
	}

	v := f.NewValidator(t, 1)
	f.Register(t, v)
	for h := int64(1); h <= 3; h++ {
		ctx := testutil.AtHeight(f.Ctx, h)
		txs := [][]byte{f.Entry(t, ctx, v, h)}
		if h == 2 {
			txs = nil
		}
		if err := f.Keeper.ApplyBlock(ctx, txs, v.Cons); err != nil {
			t.Fatal(err)
		}
	}

	latest, err := q.Latest(f.Ctx, &types.QueryLatestRequest{})
	if err != nil || latest.Beacon.Height != 3 || latest.Beacon.Weak {
		t.Fatalf("Latest: %+v %v", latest, err)
	}
	at, err := q.At(f.Ctx, &types.QueryAtRequest{Height: 2})
	if err != nil || at.Beacon.Height != 2 || !at.Beacon.Weak {
		t.Fatalf("At(2): %+v %v", at, err)
	}
	stats, err := q.Stats(f.Ctx, &types.QueryStatsRequest{})
	if err != nil || stats.Stats.VrfHeights != 2 || stats.Stats.WeakHeights != 1 || stats.Stats.LastWeakHeight != 2 {
		t.Fatalf("Stats: %+v %v", stats, err)
	}
	keys, err := q.VRFKeys(f.Ctx, &types.QueryVRFKeysRequest{})
	if err != nil || len(keys.Keys) != 1 || keys.Keys[0].Validator != v.Valoper {
		t.Fatalf("VRFKeys: %+v %v", keys, err)
	}
	params, err := q.Params(f.Ctx, &types.QueryParamsRequest{})
	if err != nil || params.Params != types.DefaultParams() {
		t.Fatalf("Params: %+v %v", params, err)
	}
}

// TestVRFKeysPages: the keys come a page at a time in validator order, with a next key
// until the last page, and a huge limit is capped (bounded work per query).
func TestVRFKeysPages(t *testing.T) {
	f := testutil.NewFixture(t)
	q := keeper.NewQueryServerImpl(f.Keeper)
	var want []string
	for i := 1; i <= 3; i++ {
		v := f.NewValidator(t, byte(i))
		f.Register(t, v)
		want = append(want, v.Valoper)
	}
	sort.Strings(want)
	var got []string
	var next []byte
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("more pages than keys")
		}
		res, err := q.VRFKeys(f.Ctx, &types.QueryVRFKeysRequest{Pagination: &query.PageRequest{Key: next, Limit: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Keys) > 2 {
			t.Fatalf("page of %d keys with limit 2", len(res.Keys))
		}
		for _, k := range res.Keys {
			got = append(got, k.Validator)
		}
		if next = res.Pagination.NextKey; next == nil {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("paged keys %v, want %v", got, want)
	}
	res, err := q.VRFKeys(f.Ctx, &types.QueryVRFKeysRequest{Pagination: &query.PageRequest{Limit: 1 << 40}})
	if err != nil || len(res.Keys) != 3 {
		t.Fatalf("huge limit: %d keys, %v", len(res.Keys), err)
	}
}
