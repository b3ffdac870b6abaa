package types

import "cosmossdk.io/collections"

const (
	// ModuleName is also the name of the escrow module account.
	ModuleName = "task"
	StoreKey   = ModuleName
)

var (
	ParamsKey          = collections.NewPrefix(0)
	NextJobIDKey       = collections.NewPrefix(1)
	JobsKey            = collections.NewPrefix(2)
	JobsBySubmitterKey = collections.NewPrefix(3)
	JobsByProviderKey  = collections.NewPrefix(4)
	JobsByStatusKey    = collections.NewPrefix(5)
	// 6 held the retry queue of an earlier assignment scheme; never reuse it.
	DeadlineQueueKey    = collections.NewPrefix(7)
	DecisionScheduleKey = collections.NewPrefix(8)
	DecisionQueueKey    = collections.NewPrefix(9)
	PruneQueueKey       = collections.NewPrefix(10)
	AssignCursorKey     = collections.NewPrefix(11)
	WaitingKey          = collections.NewPrefix(12)
	WaitingCountKey     = collections.NewPrefix(13)
)
