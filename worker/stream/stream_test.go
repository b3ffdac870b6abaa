package stream

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// keyPair is a fresh X25519 output key pair.
func keyPair(t *testing.T) (pub, priv *[32]byte) {
	t.Helper()
	var secret [32]byte
	_, err := rand.Read(secret[:])
	require.NoError(t, err)
	priv, pub, err = tasktypes.X25519KeyPair(secret)
	require.NoError(t, err)
	return pub, priv
}

// rig is a hub served over loopback HTTP with its metrics.
type rig struct {
	hub     *Hub
	metrics *Metrics
	srv     *httptest.Server
}

func newRig(t *testing.T, l Limits) *rig {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	h := NewHub(l, m)
	srv := httptest.NewServer(NewHandler(h))
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &rig{hub: h, metrics: m, srv: srv}
}

// received is what a subscriber got: the tokens and text of the current attempt, every
// event in order, and the final error.
type received struct {
	tokens []uint32
	text   []byte
	kinds  []string
	end    *Event
	err    error
}

func collect(ch <-chan Event) received {
	var r received
	for ev := range ch {
		switch {
		case ev.Err != nil:
			r.kinds = append(r.kinds, "error")
			r.err = ev.Err
		case ev.Reset:
			r.kinds = append(r.kinds, "reset")
			r.tokens, r.text = nil, nil
		case ev.End:
			r.kinds = append(r.kinds, "end")
			e := ev
			r.end = &e
		default:
			r.kinds = append(r.kinds, "chunk")
			r.tokens = append(r.tokens, ev.Tokens...)
			r.text = append(r.text, ev.Text...)
		}
	}
	return r
}

// feed streams tokens ids from index from, piece i being "<id> ".
func feed(s *Stream, from int, ids ...uint32) {
	for i, id := range ids {
		s.Token(from+i, id, fmt.Appendf(nil, "%d ", id))
	}
}

func textOf(ids ...uint32) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%d ", id)
	}
	return b.String()
}

// waitSubscribers waits until the hub holds n subscriptions of job id.
func waitSubscribers(t *testing.T, h *Hub, id uint64, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return h.Subscribers(id) == n }, 10*time.Second, time.Millisecond)
}

// TestLateAndLiveSubscribers: a subscriber that arrives after the job ended gets every
// token from 0 and the end; one that arrives mid-stream gets the tokens so far, then the
// live ones; both exactly the tokens and text streamed, the chunks sealed to the key.
func TestLateAndLiveSubscribers(t *testing.T) {
	r := newRig(t, Limits{MaxChunkTokens: 3})
	pub, priv := keyPair(t)
	s, err := r.hub.Begin(7, pub[:])
	require.NoError(t, err)
	feed(s, 0, 10, 11, 12, 13)

	ctx := context.Background()
	live, err := Subscribe(ctx, r.srv.URL, 7, pub, priv)
	require.NoError(t, err)
	got := make(chan received, 1)
	go func() { got <- collect(live) }()
	feed(s, 4, 14, 15, 16)
	s.Token(9, 99, []byte("out of order: dropped"))
	s.End(StopMaxTokens)
	feed(s, 7, 17) // after the end: dropped

	want := []uint32{10, 11, 12, 13, 14, 15, 16}
	lr := <-got
	require.NoError(t, lr.err)
	require.Equal(t, want, lr.tokens)
	require.Equal(t, textOf(want...), string(lr.text))
	require.Equal(t, &Event{End: true, Total: 7, Stop: StopMaxTokens}, lr.end)

	late, err := Subscribe(ctx, r.srv.URL+"/", 7, pub, priv) // a trailing slash on the endpoint is fine
	require.NoError(t, err)
	rr := collect(late)
	require.NoError(t, rr.err)
	require.Equal(t, want, rr.tokens)
	require.Equal(t, textOf(want...), string(rr.text))
	// 7 tokens in chunks of at most 3: 3, 3, 1.
	require.Equal(t, []string{"chunk", "chunk", "chunk", "end"}, rr.kinds)
	require.Equal(t, 2.0, value(r.metrics.Served))
	require.Equal(t, 1.0, value(r.metrics.Streams))
	require.GreaterOrEqual(t, value(r.metrics.Chunks), 4.0)
	require.Eventually(t, func() bool { return value(r.metrics.Subscribers) == 0 }, 10*time.Second, time.Millisecond)
}

// TestWaitForStart: a subscriber may connect before the worker starts the job and is
// served once it does; one for a job never started gets a 404 after the wait.
func TestWaitForStart(t *testing.T) {
	r := newRig(t, Limits{WaitForStart: time.Minute})
	pub, priv := keyPair(t)
	type result struct {
		ch  <-chan Event
		err error
	}
	early := make(chan result, 1)
	go func() {
		ch, err := Subscribe(context.Background(), r.srv.URL, 3, pub, priv)
		early <- result{ch, err}
	}()
	waitSubscribers(t, r.hub, 3, 1)
	s, err := r.hub.Begin(3, pub[:])
	require.NoError(t, err)
	feed(s, 0, 1, 2)
	s.End(StopEOS)
	res := <-early
	require.NoError(t, res.err)
	got := collect(res.ch)
	require.NoError(t, got.err)
	require.Equal(t, []uint32{1, 2}, got.tokens)

	short := newRig(t, Limits{WaitForStart: 50 * time.Millisecond})
	_, err = Subscribe(context.Background(), short.srv.URL, 4, pub, priv)
	require.ErrorIs(t, err, ErrNotStreaming)
	require.Equal(t, 1.0, value(short.metrics.Refused.WithLabelValues(RefusedNotFound)))
}

// TestCaps: subscribers beyond MaxPerJob get 429, beyond MaxSubscribers 503; slots free
// when subscribers leave.
func TestCaps(t *testing.T) {
	r := newRig(t, Limits{MaxPerJob: 2, MaxSubscribers: 3})
	pub, priv := keyPair(t)
	for id := uint64(1); id <= 3; id++ {
		_, err := r.hub.Begin(id, pub[:])
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var open []<-chan Event
	for _, id := range []uint64{1, 1, 2} {
		ch, err := Subscribe(ctx, r.srv.URL, id, pub, priv)
		require.NoError(t, err)
		open = append(open, ch)
	}
	_, err := Subscribe(ctx, r.srv.URL, 1, pub, priv)
	require.ErrorIs(t, err, ErrBusy)
	require.Contains(t, err.Error(), "HTTP 429")
	_, err = Subscribe(ctx, r.srv.URL, 3, pub, priv)
	require.ErrorIs(t, err, ErrBusy)
	require.Contains(t, err.Error(), "HTTP 503")
	require.Equal(t, 1.0, value(r.metrics.Refused.WithLabelValues(RefusedJobBusy)))
	require.Equal(t, 1.0, value(r.metrics.Refused.WithLabelValues(RefusedBusy)))
	require.Equal(t, 3.0, value(r.metrics.Subscribers))

	cancel() // the subscribers leave
	for _, ch := range open {
		for range ch {
		}
	}
	waitSubscribers(t, r.hub, 1, 0)
	waitSubscribers(t, r.hub, 2, 0)
	ch, err := Subscribe(context.Background(), r.srv.URL, 3, pub, priv)
	require.NoError(t, err)
	r.hub.Fail(3, "")
	got := collect(ch)
	require.ErrorIs(t, got.err, ErrJobFailed)
}

// TestRetention: ended streams beyond RetainJobs, and those older than Retain, are
// dropped; an open stream silent for Retain fails ("abandoned").
func TestRetention(t *testing.T) {
	r := newRig(t, Limits{RetainJobs: 2, Retain: time.Minute, WaitForStart: 20 * time.Millisecond})
	clock := time.Unix(1_000_000, 0)
	var mu sync.Mutex
	r.hub.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}
	advance := func(d time.Duration) {
		mu.Lock()
		clock = clock.Add(d)
		mu.Unlock()
	}
	pub, priv := keyPair(t)
	for id := uint64(1); id <= 3; id++ {
		s, err := r.hub.Begin(id, pub[:])
		require.NoError(t, err)
		feed(s, 0, uint32(id))
		s.End(StopEOS)
	}
	ctx := context.Background()
	_, err := Subscribe(ctx, r.srv.URL, 1, pub, priv)
	require.ErrorIs(t, err, ErrNotStreaming, "the oldest of three ended streams is dropped (RetainJobs 2)")
	for _, id := range []uint64{2, 3} {
		ch, err := Subscribe(ctx, r.srv.URL, id, pub, priv)
		require.NoError(t, err)
		require.Equal(t, []uint32{uint32(id)}, collect(ch).tokens)
	}

	open, err := r.hub.Begin(4, pub[:])
	require.NoError(t, err)
	feed(open, 0, 40)
	advance(61 * time.Second)
	_, err = Subscribe(ctx, r.srv.URL, 2, pub, priv)
	require.ErrorIs(t, err, ErrNotStreaming, "ended a minute ago (Retain)")
	ch, err := Subscribe(ctx, r.srv.URL, 4, pub, priv)
	require.NoError(t, err)
	got := collect(ch)
	require.Equal(t, []uint32{40}, got.tokens)
	require.ErrorIs(t, got.err, ErrJobFailed)
	require.Contains(t, got.err.Error(), "abandoned")
	require.Equal(t, []uint64(nil), r.hub.Open())
}

// TestReset: a subscriber that received tokens of a failed attempt gets a reset, then the
// next attempt from index 0; one arriving after the reset only sees the new attempt.
func TestReset(t *testing.T) {
	r := newRig(t, Limits{})
	pub, priv := keyPair(t)
	s, err := r.hub.Begin(5, pub[:])
	require.NoError(t, err)
	feed(s, 0, 1, 2, 3)
	ch, err := Subscribe(context.Background(), r.srv.URL, 5, pub, priv)
	require.NoError(t, err)
	first := <-ch
	require.Equal(t, []uint32{1, 2, 3}, first.Tokens)
	s.Reset()
	require.True(t, (<-ch).Reset)
	require.Equal(t, []uint64{5}, r.hub.Open())

	s, err = r.hub.Begin(5, pub[:]) // the retry
	require.NoError(t, err)
	feed(s, 0, 7, 8)
	s.End(StopEOS)
	got := collect(ch)
	require.NoError(t, got.err)
	require.Equal(t, []uint32{7, 8}, got.tokens)
	require.Equal(t, textOf(7, 8), string(got.text))

	late, err := Subscribe(context.Background(), r.srv.URL, 5, pub, priv)
	require.NoError(t, err)
	lr := collect(late)
	require.Equal(t, []string{"chunk", "end"}, lr.kinds)
	require.Equal(t, []uint32{7, 8}, lr.tokens)
}

// TestBadRequests: only GET of /v1/jobs/{positive id}/stream is served.
func TestBadRequests(t *testing.T) {
	r := newRig(t, Limits{})
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodPost, "/v1/jobs/1/stream", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/v1/jobs/1/stream", http.StatusMethodNotAllowed},
		{http.MethodGet, "/v1/jobs/abc/stream", http.StatusBadRequest},
		{http.MethodGet, "/v1/jobs/0/stream", http.StatusBadRequest},
		{http.MethodGet, "/v1/jobs/-1/stream", http.StatusBadRequest},
		{http.MethodGet, "/v1/jobs/18446744073709551616/stream", http.StatusBadRequest},
		{http.MethodGet, "/v1/jobs/1/stream/more", http.StatusNotFound},
		{http.MethodGet, "/v1/jobs/1", http.StatusNotFound},
		{http.MethodGet, "/metrics", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
	} {
		req, err := http.NewRequest(tc.method, r.srv.URL+tc.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.code, resp.StatusCode, "%s %s: %s", tc.method, tc.path, body)
		require.Contains(t, string(body), `"error"`)
	}
	require.Equal(t, 10.0, value(r.metrics.Refused.WithLabelValues(RefusedBadRequest)))
	pub, priv := keyPair(t)
	_, err := Subscribe(context.Background(), "ftp://x", 1, pub, priv)
	require.Error(t, err)
	_, err = r.hub.Begin(1, []byte("short"))
	require.Error(t, err)
}

// TestWrongKey: the chunks are sealed to the job's output key; another key cannot read them.
func TestWrongKey(t *testing.T) {
	r := newRig(t, Limits{})
	pub, _ := keyPair(t)
	otherPub, otherPriv := keyPair(t)
	s, err := r.hub.Begin(9, pub[:])
	require.NoError(t, err)
	feed(s, 0, 1, 2)
	s.End(StopEOS)
	ch, err := Subscribe(context.Background(), r.srv.URL, 9, otherPub, otherPriv)
	require.NoError(t, err)
	got := collect(ch)
	require.ErrorIs(t, got.err, ErrUnreadable)
	require.Empty(t, got.tokens)
}

// TestLost: a server that closes mid-stream ends the subscription with ErrLost.
func TestLost(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	h := NewHub(Limits{}, m)
	srv, err := Start(h, "127.0.0.1:0")
	require.NoError(t, err)
	pub, priv := keyPair(t)
	s, err := h.Begin(2, pub[:])
	require.NoError(t, err)
	feed(s, 0, 5)
	ch, err := Subscribe(context.Background(), "http://"+srv.Addr, 2, pub, priv)
	require.NoError(t, err)
	require.Equal(t, []uint32{5}, (<-ch).Tokens)
	srv.Close()
	got := collect(ch)
	require.ErrorIs(t, got.err, ErrLost)
	_, err = Subscribe(context.Background(), "http://"+srv.Addr, 2, pub, priv)
	require.ErrorIs(t, err, ErrLost, "nothing listens any more")
}

// TestConcurrentSubscribers (run under -race by make test-race): many subscribers to
// several jobs while the jobs are fed; every one gets exactly its job's tokens.
func TestConcurrentSubscribers(t *testing.T) {
	r := newRig(t, Limits{MaxChunkTokens: 5})
	const jobs, subsPerJob, tokens = 4, 6, 200
	pub, priv := keyPair(t)
	streams := make([]*Stream, jobs)
	for j := range jobs {
		var err error
		streams[j], err = r.hub.Begin(uint64(j+1), pub[:])
		require.NoError(t, err)
	}
	want := make([]uint32, tokens)
	for i := range want {
		want[i] = uint32(i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, jobs*subsPerJob)
	for j := range jobs {
		for range subsPerJob {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ch, err := Subscribe(context.Background(), r.srv.URL, uint64(j+1), pub, priv)
				if err != nil {
					errs <- err
					return
				}
				got := collect(ch)
				switch {
				case got.err != nil:
					errs <- got.err
				case !slices.Equal(got.tokens, want) || string(got.text) != textOf(want...):
					errs <- fmt.Errorf("job %d: %d tokens received", j+1, len(got.tokens))
				}
			}()
		}
	}
	var feeders sync.WaitGroup
	for _, s := range streams {
		feeders.Add(1)
		go func() {
			defer feeders.Done()
			for i := range tokens {
				feed(s, i, uint32(i))
				if i%50 == 0 {
					runtime.Gosched() // let subscribers in mid-stream; the later ones replay
				}
			}
			s.End(StopMaxTokens)
		}()
	}
	feeders.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSealChunk: a chunk opens with the recipient's key pair only.
func TestSealChunk(t *testing.T) {
	pub, priv := keyPair(t)
	c := Chunk{Index: 3, Tokens: []uint32{1, 2}, Text: []byte("\xe2\x96 partial")}
	sealed, err := SealChunk(pub[:], c)
	require.NoError(t, err)
	got, err := OpenChunk(sealed, pub, priv)
	require.NoError(t, err)
	require.Equal(t, c, got)
	op, opriv := keyPair(t)
	_, err = OpenChunk(sealed, op, opriv)
	require.ErrorIs(t, err, ErrUnreadable)
	_, err = SealChunk(pub[:31], c)
	require.Error(t, err)
	empty, err := SealChunk(pub[:], Chunk{Index: 0})
	require.NoError(t, err)
	_, err = OpenChunk(empty, pub, priv)
	require.ErrorIs(t, err, ErrUnreadable, "a chunk has at least one token")
	require.True(t, errors.Is(fmt.Errorf("x: %w", ErrUnreadable), ErrUnreadable))
}
