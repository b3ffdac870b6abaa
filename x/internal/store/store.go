// Package store holds the small collections helpers the modules share.
package store

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
)

// Getter is a collections.Map or IndexedMap.
type Getter[K, V any] interface {
	Get(ctx context.Context, key K) (V, error)
}

// Find reads key from m, telling "no such entry" (found false, nil error) from a store
// error, which callers (block hooks above all) must pass up rather than treat as absent.
func Find[K, V any](ctx context.Context, m Getter[K, V], key K) (V, bool, error) {
	v, err := m.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		var zero V
		return zero, false, nil
	}
	if err != nil {
		var zero V
		return zero, false, err
	}
	return v, true, nil
}
