package types

import (
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/internal/typedevent"
)

// ParseEvents decodes the x/provider events (the Event messages of events.proto) among
// events, a block's or a transaction's, in order; other events are skipped.
func ParseEvents(events []abci.Event) ([]proto.Message, error) {
	return typedevent.Parse(events, "sovra.provider.v1")
}
