// Package indexcheck compares a hand-kept index with the entries rebuilt from primary
// state, for the modules' index invariants: every stored entry must derive from a record
// and every derived entry must be stored.
package indexcheck

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
)

// maxReported bounds the mismatches listed in an error.
const maxReported = 5

// Entry is a derived key → value entry of a map index.
type Entry[K, V any] struct {
	Key   K
	Value V
}

// KeySet compares the entries stored in set with want (in any order, duplicates allowed).
func KeySet[K any](ctx context.Context, name string, set collections.KeySet[K], want []K) error {
	entries := make([]Entry[K, collections.NoValue], len(want))
	for i, k := range want {
		entries[i] = Entry[K, collections.NoValue]{Key: k}
	}
	return compare(name, set.KeyCodec(), collections.NoValue{}, entries,
		func(f func(K, collections.NoValue) error) error {
			return set.Walk(ctx, nil, func(k K) (bool, error) { return false, f(k, collections.NoValue{}) })
		})
}

// Map compares the entries stored in m with want; values are compared by their encoding.
func Map[K, V any](ctx context.Context, name string, m collections.Map[K, V], want []Entry[K, V]) error {
	return compare(name, m.KeyCodec(), m.ValueCodec(), want,
		func(f func(K, V) error) error {
			return m.Walk(ctx, nil, func(k K, v V) (bool, error) { return false, f(k, v) })
		})
}

func compare[K, V any](
	name string, kc collcodec.KeyCodec[K], vc collcodec.ValueCodec[V],
	want []Entry[K, V], walk func(func(K, V) error) error,
) error {
	expected := make(map[string][]byte, len(want))
	shown := make(map[string]string, len(want))
	for _, e := range want {
		key, err := encodeKey(kc, e.Key)
		if err != nil {
			return err
		}
		val, err := vc.Encode(e.Value)
		if err != nil {
			return err
		}
		if prev, ok := expected[key]; ok && string(prev) != string(val) {
			return fmt.Errorf("%s: entry %s derived twice with different values", name, kc.Stringify(e.Key))
		}
		expected[key] = val
		shown[key] = kc.Stringify(e.Key)
	}
	var extra, wrong []string
	err := walk(func(k K, v V) error {
		key, err := encodeKey(kc, k)
		if err != nil {
			return err
		}
		val, err := vc.Encode(v)
		if err != nil {
			return err
		}
		want, ok := expected[key]
		switch {
		case !ok:
			extra = append(extra, kc.Stringify(k))
		case string(want) != string(val):
			wrong = append(wrong, kc.Stringify(k)+" = "+vc.Stringify(v))
		}
		delete(expected, key)
		return nil
	})
	if err != nil {
		return err
	}
	missing := make([]string, 0, len(expected))
	for key := range expected {
		missing = append(missing, shown[key])
	}
	sort.Strings(missing)
	var problems []string
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%d stored entries derive from no record (%s)", len(extra), list(extra)))
	}
	if len(wrong) > 0 {
		problems = append(problems, fmt.Sprintf("%d entries hold another value than derived (%s)", len(wrong), list(wrong)))
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d derived entries are not stored (%s)", len(missing), list(missing)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", name, strings.Join(problems, "; "))
	}
	return nil
}

func encodeKey[K any](kc collcodec.KeyCodec[K], k K) (string, error) {
	b := make([]byte, kc.Size(k))
	if _, err := kc.Encode(b, k); err != nil {
		return "", err
	}
	return string(b), nil
}

func list(s []string) string {
	if len(s) > maxReported {
		return strings.Join(s[:maxReported], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}
