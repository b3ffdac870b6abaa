package typedevent

import (
	"encoding/json"
	"strconv"

	"cosmossdk.io/core/event"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// The attribute values of a typed event, written as sdk.TypedEventToEvent writes them
// (gogoproto's jsonpb with the SDK's options: 64-bit integers quoted, strings through
// encoding/json, messages compact with every field, keys in proto field order) for
// events hot enough that the SDK's reflection through JSON and back shows in block
// time. A module that emits an event this way implements KV on it and tests it against
// sdk.TypedEventToEvent (TestKVMatchesTypedEvent): clients decode both alike.

// Uint64 is a uint64 field's value: the decimal in quotes.
func Uint64(v uint64) string { return `"` + strconv.FormatUint(v, 10) + `"` }

// Bool is a bool field's value.
func Bool(v bool) string { return strconv.FormatBool(v) }

// String is a string field's value: the JSON string encoding/json writes (HTML-escaped).
func String(s string) string {
	b, err := json.Marshal(s)
	if err != nil { // a Go string always encodes
		panic(err)
	}
	return string(b)
}

// Coin is a cosmos.base.v1beta1.Coin field's value: {"denom":…,"amount":…}, the amount
// written by math.Int's own MarshalJSON as jsonpb does.
func Coin(c sdk.Coin) string {
	amount, err := c.Amount.MarshalJSON()
	if err != nil { // math.Int always encodes
		panic(err)
	}
	return `{"denom":` + String(c.Denom) + `,"amount":` + string(amount) + `}`
}

// Attr is one attribute (the attributes of an event go in key order, as the SDK sorts
// them).
func Attr(key, value string) event.Attribute { return event.Attribute{Key: key, Value: value} }
