// Package typedevent decodes the typed events that the modules emit (proto messages turned
// into ABCI events by the SDK: the type is the message's full name, each field an attribute
// holding its proto JSON). Each module's types.ParseEvents is built on it.
package typedevent

import (
	"encoding/json"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Parse decodes, in order, the events among events (a transaction's or a block's) whose
// type is a message of the proto package pkg (e.g. "sovra.task.v1"). Other events are
// skipped, and so are pkg's events that this binary does not know (a newer chain's), so
// that a client keeps working when a module adds an event; fields it does not know are
// ignored for the same reason.
//
// Attributes that are not JSON are dropped before decoding: every field of a typed event
// is, but the SDK appends plain ones of its own (mode=BeginBlock on a block event).
func Parse(events []abci.Event, pkg string) ([]proto.Message, error) {
	prefix := pkg + "."
	var out []proto.Message
	for _, e := range events {
		if !strings.HasPrefix(e.Type, prefix) || proto.MessageType(e.Type) == nil {
			continue
		}
		msg, err := sdk.ParseTypedEvent(jsonAttributes(e))
		if err != nil {
			return nil, fmt.Errorf("decode event %s: %w", e.Type, err)
		}
		out = append(out, msg)
	}
	return out, nil
}

// jsonAttributes is e without the attributes whose value is not JSON.
func jsonAttributes(e abci.Event) abci.Event {
	attrs := make([]abci.EventAttribute, 0, len(e.Attributes))
	for _, a := range e.Attributes {
		if json.Valid([]byte(a.Value)) {
			attrs = append(attrs, a)
		}
	}
	return abci.Event{Type: e.Type, Attributes: attrs}
}
