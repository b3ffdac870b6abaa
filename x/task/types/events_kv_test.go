package types_test

import (
	"math/rand"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// TestKVMatchesTypedEvent holds every KVEvent to the SDK: its type and attributes are
// exactly what sdk.TypedEventToEvent makes of the same message, over random field values
// (strings with quotes, HTML characters, control bytes, invalid UTF-8 and non-ASCII text,
// zero and unset amounts, amounts far beyond 64 bits, the largest ids), and ParseEvents
// decodes it.
func TestKVMatchesTypedEvent(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	str := func() string {
		pieces := []string{"", "sovra1qyqszqgpqyqszqgpqyqszqgpqyqszqgp9pk2xf", "demo-tiny", `"`, `\`, "<a&b>", "\u2028", "\x00\x1f", "\xff\xfe", "é漢", "usovra", " "}
		var b strings.Builder
		for range r.Intn(4) {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		return b.String()
	}
	id := func() uint64 {
		switch r.Intn(3) {
		case 0:
			return 0
		case 1:
			return ^uint64(0) - uint64(r.Intn(3))
		}
		return r.Uint64() >> r.Intn(64)
	}
	coin := func() sdk.Coin {
		c := sdk.Coin{Denom: str()}
		switch r.Intn(4) {
		case 0: // unset: a nil amount
		case 1:
			c.Amount = sdkmath.ZeroInt()
		case 2:
			c.Amount = sdkmath.NewIntFromUint64(id())
		default:
			c.Amount = sdkmath.NewIntFromUint64(id()).Mul(sdkmath.NewIntFromUint64(id())).Add(sdkmath.OneInt())
		}
		return c
	}
	for i := range 2000 {
		events := []interface {
			proto.Message
			types.KVEvent
		}{
			&types.EventJobSubmitted{JobId: id(), ModelId: str()},
			&types.EventJobAssigned{JobId: id(), Provider: str()},
			&types.EventJobCommitted{JobId: id(), Provider: str()},
			&types.EventJobAuditDecision{JobId: id(), Audited: r.Intn(2) == 0},
			&types.EventJobSettled{JobId: id(), Provider: str(), Fee: coin(), Refund: coin()},
			&types.EventJobExpired{JobId: id(), Provider: str(), Refund: coin()},
		}
		for _, ev := range events {
			want, err := sdk.TypedEventToEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			got := abci.Event{Type: ev.EventType()}
			for _, a := range ev.KV() {
				got.Attributes = append(got.Attributes, abci.EventAttribute{Key: a.Key, Value: a.Value})
			}
			if wantABCI := abci.Event(want); got.String() != wantABCI.String() {
				t.Fatalf("case %d, %T:\n got %v\nwant %v", i, ev, got, want)
			}
			if back, err := types.ParseEvents([]abci.Event{got}); err != nil || len(back) != 1 {
				t.Fatalf("case %d: %T does not decode back: %v %v", i, ev, back, err)
			}
		}
	}
}
