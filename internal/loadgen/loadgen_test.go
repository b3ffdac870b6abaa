package loadgen

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/txclient"
)

func TestReasonOfGroupsByRegisteredError(t *testing.T) {
	a := reasonOf("spendable balance 5usovra is smaller than 25usovra: insufficient funds")
	b := reasonOf("spendable balance 7usovra is smaller than 25usovra: insufficient funds")
	require.Equal(t, "insufficient funds", a)
	require.Equal(t, a, b)
	require.Equal(t, "plain", reasonOf(" plain "))
	require.LessOrEqual(t, len(reasonOf(strings.Repeat("x", 500))), 123)
}

func TestDeriveKeyIsDeterministicAndDistinct(t *testing.T) {
	require.Equal(t, DeriveKey("s", 0).Bytes(), DeriveKey("s", 0).Bytes())
	require.NotEqual(t, DeriveKey("s", 0).Bytes(), DeriveKey("s", 1).Bytes())
	require.NotEqual(t, DeriveKey("s", 0).Bytes(), DeriveKey("t", 0).Bytes())
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Options)
		want string
	}{
		{"no rpc", func(o *Options) { o.RPC = "" }, "RPC address"},
		{"bad kind", func(o *Options) { o.Kind = "stake" }, `kind "stake"`},
		{"no count", func(o *Options) { o.Count = 0 }, "count must be positive"},
		{"funder without keyring", func(o *Options) { o.FunderKey = "alice" }, "keyring dir"},
		{"negative fee", func(o *Options) { o.MaxFee = -1 }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{RPC: "http://127.0.0.1:1", Kind: KindSend, Count: 10}
			tc.mut(&o)
			o.setDefaults()
			err := o.validate()
			require.ErrorContains(t, err, tc.want)
		})
	}
	o := Options{RPC: "http://127.0.0.1:1", Kind: KindSubmitJob, Count: 1}
	o.setDefaults()
	require.NoError(t, o.validate())
	require.Equal(t, 4, o.Concurrency)
	require.Equal(t, "usovra", o.Denom)
}

// TestRunRejectsBadOptionsBeforeDialing: nothing listens on the address, so an error
// about the options proves they are checked first.
func TestRunRejectsBadOptionsBeforeDialing(t *testing.T) {
	_, err := Run(context.Background(), Options{RPC: "http://127.0.0.1:1", Kind: "nope", Count: 1})
	require.ErrorContains(t, err, `kind "nope"`)
}

func TestTallyMeasuresTheBlockWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &follower{blocks: map[int64]blockInfo{
		10: {time: t0, txs: 1},
		11: {time: t0.Add(1 * time.Second), txs: 3},
		12: {time: t0.Add(2 * time.Second), txs: 0},
		13: {time: t0.Add(4 * time.Second), txs: 5},
	}}
	h := func(s string) []byte { x := sha256.Sum256([]byte(s)); return x[:] }
	r := &runner{opts: Options{CommitTimeout: time.Minute}}
	r.res.Failures = map[string]int{}
	r.accepted = [][]byte{h("a"), h("b"), h("c"), h("d"), h("lost")}
	found := map[string]txOutcome{
		string(h("a")): {height: 11},
		string(h("b")): {height: 11},
		string(h("c")): {height: 13},
		string(h("d")): {height: 13, code: 5, codespace: "sdk", log: "1 < 2: insufficient funds"},
	}
	r.tally(found, f)
	res := r.res
	require.Equal(t, 3, res.Committed)
	require.Equal(t, 2, res.Failed)
	require.Equal(t, map[string]int{"deliver sdk/5: insufficient funds": 1, "not in a block within 1m0s": 1}, res.Failures)
	require.Equal(t, int64(11), res.FirstHeight)
	require.Equal(t, int64(13), res.LastHeight)
	require.Equal(t, 3, res.Blocks)
	require.Equal(t, t0, res.StartTime, "the window opens at the block before the first")
	require.Equal(t, 4.0, res.Seconds)
	require.Equal(t, 0.75, res.TPS)
	require.InDelta(t, 8.0/3, res.MeanBlockTxs, 1e-9)
	require.Equal(t, 5, res.MaxBlockTxs)
	require.Contains(t, res.Summary(), "0.8 tx/s")
	require.Contains(t, res.Summary(), `"deliver sdk/5: insufficient funds" x1`)
}

func TestFailureReasonGroupsBroadcastOutcomes(t *testing.T) {
	require.Equal(t, "", failureReason(nil))
	require.Equal(t, "not sent: context canceled", failureReason(context.Canceled))
	require.Equal(t, "checktx sdk/5: insufficient funds",
		failureReason(&txclient.CheckTxError{Codespace: "sdk", Code: 5, Log: "spendable balance 1usovra is smaller than 2usovra: insufficient funds"}))
	require.Equal(t, "broadcast: connection refused", failureReason(errors.New("send failed after 11 attempts: broadcast: post: connection refused")))
}
