package typedevent_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/internal/typedevent"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
)

// A block event as a node reports it: the SDK appends mode (not JSON) to block events and
// msg_index to a transaction's; other modules' events and a newer chain's are skipped.
func TestParse(t *testing.T) {
	want := &beacontypes.EventBeacon{Height: 7, Output: []byte{1, 2, 3}, Proposer: "sovravaloper1x", Weak: true, WeakReason: "no key"}
	ev, err := sdk.TypedEventToEvent(want)
	if err != nil {
		t.Fatal(err)
	}
	ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: "mode", Value: "BeginBlock"},
		abci.EventAttribute{Key: "msg_index", Value: "0"})
	events := []abci.Event{
		{Type: "transfer", Attributes: []abci.EventAttribute{{Key: "amount", Value: "5usovra"}}},
		abci.Event(ev),
		{Type: "sovra.beacon.v1.EventFromTheFuture", Attributes: []abci.EventAttribute{{Key: "height", Value: `"8"`}}},
		{Type: "sovra.beacon.v1beta.EventBeacon"},
	}
	got, err := typedevent.Parse(events, "sovra.beacon.v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !proto.Equal(got[0], want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	// A known event whose attribute does not decode is an error, not a silent skip.
	bad := abci.Event(ev)
	bad.Attributes = []abci.EventAttribute{{Key: "height", Value: `"seven"`}}
	if _, err := typedevent.Parse([]abci.Event{bad}, "sovra.beacon.v1"); err == nil {
		t.Fatal("a malformed event decoded")
	}
}
