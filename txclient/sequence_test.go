package txclient

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpectedSequence(t *testing.T) {
	for _, tc := range []struct {
		log  string
		want uint64
		ok   bool
	}{
		{"account sequence mismatch, expected 5, got 7: incorrect account sequence", 5, true},
		{"account sequence mismatch, expected 12345, got 0: incorrect account sequence", 12345, true},
		{"insufficient funds", 0, false},
		{"expected x, got 7", 0, false},
	} {
		got, ok := expectedSequence(tc.log)
		require.Equal(t, tc.ok, ok, tc.log)
		require.Equal(t, tc.want, got, tc.log)
	}
}
