package indexcheck_test

import (
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"

	"github.com/sovra-network/sovra/x/internal/indexcheck"
)

func TestKeySetAndMap(t *testing.T) {
	key := storetypes.NewKVStoreKey("test")
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("t"))
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(key))
	set := collections.NewKeySet(sb, collections.NewPrefix(0), "set", collections.Uint64Key)
	m := collections.NewMap(sb, collections.NewPrefix(1), "map", collections.StringKey, collections.Uint64Value)
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []uint64{1, 2, 3} {
		if err := set.Set(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Set(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "b", 2); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		want    []uint64
		problem string
	}{
		"equal, any order, duplicates": {[]uint64{3, 1, 2, 1}, ""},
		"stored entry not derived":     {[]uint64{1, 2}, "1 stored entries derive from no record (3)"},
		"derived entry not stored":     {[]uint64{1, 2, 3, 4}, "1 derived entries are not stored (4)"},
	} {
		err := indexcheck.KeySet(ctx, "set", set, tc.want)
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: %v, want %q", name, err, tc.problem)
		}
	}
	type e = indexcheck.Entry[string, uint64]
	for name, tc := range map[string]struct {
		want    []e
		problem string
	}{
		"equal":         {[]e{{"b", 2}, {"a", 1}}, ""},
		"other value":   {[]e{{"a", 1}, {"b", 3}}, "1 entries hold another value than derived (b = 2)"},
		"missing":       {[]e{{"a", 1}, {"b", 2}, {"c", 3}}, "1 derived entries are not stored (c)"},
		"derived twice": {[]e{{"a", 1}, {"a", 2}, {"b", 2}}, "entry a derived twice"},
	} {
		err := indexcheck.Map(ctx, "map", m, tc.want)
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: %v, want %q", name, err, tc.problem)
		}
	}
}
