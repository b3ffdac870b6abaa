package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/worker/stream"
)

func testRelay(maxTokens uint64) (*relay, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	o := &order{req: jobRequest{Kind: kindCompletion, Model: "m", MaxTokens: maxTokens}, start: time.Now(), sub: submitted{JobID: 7}}
	return &relay{g: &Gateway{metrics: newMetrics()}, o: o, out: &sse{w: rec}}, rec
}

// A provider's stream is relayed as it comes; a retried inference that replays the same
// tokens is fine, one that replays others is a mismatch, and so is a stream longer than
// the job allows.
func TestRelayChecksReplaysAndBounds(t *testing.T) {
	rl, rec := testRelay(4)
	rl.take(stream.Event{Index: 0, Tokens: []uint32{1, 2}, Text: []byte("ab")})
	rl.take(stream.Event{Reset: true})
	rl.take(stream.Event{Index: 0, Tokens: []uint32{1}, Text: []byte("a")})
	rl.take(stream.Event{Index: 1, Tokens: []uint32{2, 3}, Text: []byte("bc")}) // straddles: its text is not relayed
	require.Empty(t, rl.mismatch)
	require.Equal(t, []uint32{1, 2, 3}, rl.tokens)
	require.True(t, rl.textOff)
	require.Equal(t, 1, strings.Count(rec.Body.String(), `"text":"ab"`), "the first chunk's text was sent once")

	rl, _ = testRelay(4)
	rl.take(stream.Event{Index: 0, Tokens: []uint32{1, 2}, Text: []byte("ab")})
	rl.take(stream.Event{Reset: true})
	rl.take(stream.Event{Index: 0, Tokens: []uint32{9}, Text: []byte("z")})
	require.Contains(t, rl.mismatch, "token 0 streamed as 1, then as 9")

	rl, _ = testRelay(4)
	rl.take(stream.Event{Index: 0, Tokens: []uint32{1, 2, 3, 4, 5}, Text: []byte("abcde")})
	require.Contains(t, rl.mismatch, "5 tokens streamed, the job allows 4")
	require.Empty(t, rl.tokens)

	rl, _ = testRelay(4)
	rl.take(stream.Event{Index: 2, Tokens: []uint32{1}, Text: []byte("a")})
	require.Contains(t, rl.mismatch, "skipped from token 0 to 2")
}

// With an API token, every route but /healthz needs it as a bearer token.
func TestAuthorizeNeedsTheBearerToken(t *testing.T) {
	g := &Gateway{cfg: &config.Config{APIToken: "s3cret"}}
	h := g.authorize(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, c := range []struct {
		path, auth string
		want       int
	}{
		{"/v1/models", "", http.StatusUnauthorized},
		{"/v1/models", "Bearer wrong", http.StatusUnauthorized},
		{"/v1/models", "s3cret", http.StatusUnauthorized},
		{"/v1/models", "Bearer s3cret", http.StatusTeapot},
		{"/healthz", "", http.StatusTeapot},
	} {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, c.want, rec.Code, "%s with %q", c.path, c.auth)
		if c.want == http.StatusUnauthorized {
			require.Contains(t, rec.Body.String(), `"code":"invalid_api_key"`)
		}
	}
}
