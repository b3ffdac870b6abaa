package gateway

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Text pushed in pieces comes out as whole characters, the same as applied at once, and
// never shows the start of a stop sequence.
func TestTextOutHoldsSplitCharactersAndStopPrefixes(t *testing.T) {
	full := []byte("héllo wörld\n\nEND more")
	stops := []string{"\n\nEND"}
	want, stopped := applyStops(full, stops)
	require.True(t, stopped)
	require.Equal(t, "héllo wörld", want)
	for size := 1; size <= 4; size++ {
		o := textOut{stops: stops}
		var got strings.Builder
		for i := 0; i < len(full); i += size {
			piece := o.push(full[i:min(i+size, len(full))])
			require.True(t, strings.ToValidUTF8(piece, "?") == piece, "piece %q is not whole UTF-8", piece)
			require.NotContains(t, piece, "\n", "a stop prefix was sent before it was known")
			got.WriteString(piece)
		}
		got.WriteString(o.finish())
		require.Equal(t, want, got.String(), "pieces of %d bytes", size)
	}
	text, stopped := applyStops([]byte("no stop here\n\nEN"), stops)
	require.False(t, stopped)
	require.Equal(t, "no stop here\n\nEN", text, "a held prefix is sent when the output ends")
	text, _ = applyStops([]byte{'a', 0xE2, 0x82}, nil)
	require.Equal(t, "a\uFFFD\uFFFD", text, "a cut character at the very end is replaced byte by byte, not dropped")
	require.Equal(t, "x\uFFFD\uFFFDy€", utf8Text([]byte("x\xfd\xfey€")), "as encoding/json renders invalid bytes")
}

func TestCompareStream(t *testing.T) {
	out := tasktypes.SealedPayload{Text: []byte("abc"), OutputTokens: []uint32{1, 2, 3}}
	require.Empty(t, compareStream([]uint32{1, 2, 3}, []byte("abc"), true, true, out))
	require.Empty(t, compareStream([]uint32{1, 2}, []byte("ab"), false, true, out), "a stream cut short is a prefix")
	require.Contains(t, compareStream([]uint32{1, 2}, []byte("ab"), true, true, out), "ended after 2 of 3")
	require.Contains(t, compareStream([]uint32{1, 9}, []byte("ab"), false, true, out), "token 1 streamed as 9")
	require.Contains(t, compareStream([]uint32{1, 2}, []byte("aX"), false, true, out), "text")
	require.Contains(t, compareStream([]uint32{1, 2, 3, 4}, []byte("abcd"), true, true, out), "4 tokens streamed")
}
