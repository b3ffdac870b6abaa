package types

import (
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/internal/typedevent"
)

// ParseEvents decodes the x/task events (the Event messages of events.proto) among
// events, a block's or a transaction's, in order; other events are skipped.
func ParseEvents(events []abci.Event) ([]proto.Message, error) {
	return typedevent.Parse(events, "sovra.task.v1")
}

// SubmittedJobIDs returns the ids of the jobs that a transaction's events submitted
// (EventJobSubmitted), in order.
func SubmittedJobIDs(events []abci.Event) ([]uint64, error) {
	evs, err := ParseEvents(events)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range evs {
		if s, ok := e.(*EventJobSubmitted); ok {
			ids = append(ids, s.JobId)
		}
	}
	return ids, nil
}
