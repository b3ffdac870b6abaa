package keeper

import (
	"errors"
	"strconv"

	"cosmossdk.io/collections"
)

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func i64(v int64) string { return strconv.FormatInt(v, 10) }

func joinHeight(h int64, id uint64) collections.Pair[int64, uint64] { return collections.Join(h, id) }
