package page_test

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/sovra-network/sovra/x/internal/page"
)

func TestCapped(t *testing.T) {
	if page.Capped(nil) != nil {
		t.Fatal("nil request changed")
	}
	in := &query.PageRequest{Limit: 50, Key: []byte{1}}
	if got := page.Capped(in); got != in {
		t.Fatal("a limit within the cap must be kept as is")
	}
	big := &query.PageRequest{Limit: 1 << 40, Key: []byte{2}, CountTotal: true}
	got := page.Capped(big)
	if got.Limit != page.MaxLimit || string(got.Key) != "\x02" || !got.CountTotal || big.Limit != 1<<40 {
		t.Fatalf("capped %+v from %+v", got, big)
	}
}
