package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// atomically runs fn on a cached context and writes its state and events only if fn succeeds, so a
// multi-step transfer that fails halfway (also when called from an end blocker, where no tx cache
// reverts it) changes nothing.
func atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if err := fn(cacheCtx); err != nil {
		return err
	}
	write()
	return nil
}
