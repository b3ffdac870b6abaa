package keeper

import (
	"errors"

	"cosmossdk.io/collections"
)

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

func joinHeight(h int64, id uint64) collections.Pair[int64, uint64] { return collections.Join(h, id) }
