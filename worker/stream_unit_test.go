package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/stream"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// streamed is what a subscriber to a worker's stream received.
type streamed struct {
	kinds  []string
	tokens []uint32 // of the last attempt
	text   []byte
	end    stream.Event
	err    error
}

// subscribeUnit subscribes to job id on the rig's worker with the submitter's key (or
// another pair) and returns what it will have received once the stream is over. It
// returns once the subscription is open, so that it sees the job from its start.
func subscribeUnit(t *testing.T, r *unitRig, id uint64, keys ...*[32]byte) <-chan streamed {
	t.Helper()
	pub, priv := r.submitterPub, r.submitterPriv
	if len(keys) == 2 {
		pub, priv = keys[0], keys[1]
	}
	before := r.w.streams.Subscribers(id)
	out := make(chan streamed, 1)
	go func() {
		var s streamed
		defer func() { out <- s }()
		ch, err := stream.Subscribe(context.Background(), "http://"+r.w.StreamAddr(), id, pub, priv)
		if err != nil {
			s.err = err
			return
		}
		for ev := range ch {
			switch {
			case ev.Err != nil:
				s.kinds, s.err = append(s.kinds, "error"), ev.Err
			case ev.Reset:
				s.kinds, s.tokens, s.text = append(s.kinds, "reset"), nil, nil
			case ev.End:
				s.kinds, s.end = append(s.kinds, "end"), ev
			default:
				s.kinds = append(s.kinds, "chunk")
				s.tokens, s.text = append(s.tokens, ev.Tokens...), append(s.text, ev.Text...)
			}
		}
	}()
	require.Eventually(t, func() bool { return r.w.streams.Subscribers(id) > before }, 10*time.Second, time.Millisecond)
	return out
}

func withStream(c *config.Config) { c.StreamListen = "127.0.0.1:0" }

// TestUnitStream: with stream_listen set, a subscriber that connected before the job ran
// gets exactly the tokens and text the worker commits, then the end; a failed attempt
// resets it and the retry streams from token 0; a job given up, refused, or no longer
// assigned ends its stream with an error; another key cannot read the chunks.
func TestUnitStream(t *testing.T) {
	r := newUnitRig(t, withConfig(withStream))
	t.Cleanup(func() { r.w.Close() })
	require.NotEmpty(t, r.w.StreamAddr())
	require.True(t, r.logged("the provider has no endpoint on chain"))

	r.assign(1, "hello", 6)
	sub := subscribeUnit(t, r, 1)
	otherPriv, otherPub := fakeKey(t, "someone else")
	other := subscribeUnit(t, r, 1, otherPub, otherPriv)
	r.tick()
	got, rec := <-sub, r.record(1)
	require.NoError(t, got.err)
	require.Equal(t, rec.OutputTokens, got.tokens)
	require.Equal(t, rec.Text, string(got.text))
	require.Equal(t, stream.Event{End: true, Total: 6, Stop: stream.StopMaxTokens}, got.end)
	require.Equal(t, "committed", string(rec.Status))
	require.ErrorIs(t, (<-other).err, stream.ErrUnreadable)

	down := fmt.Errorf("%w: HTTP 502", inference.ErrBackend)
	t.Run("reset then retry", func(t *testing.T) {
		r.assign(2, "flaky", 5)
		r.backend.failGenerate(down)
		sub := subscribeUnit(t, r, 2)
		r.tick() // two tokens streamed, then the backend fails
		r.tick() // the retry
		got, rec := <-sub, r.record(2)
		require.NoError(t, got.err)
		// The subscriber got the failed attempt's chunk and a reset, or (when it read
		// after the reset) nothing of it; either way the client checked that the chunks
		// it kept start at index 0 and follow each other.
		t.Logf("events: %v", got.kinds)
		require.Equal(t, "end", got.kinds[len(got.kinds)-1])
		require.Equal(t, rec.OutputTokens, got.tokens)
		require.Equal(t, rec.Text, string(got.text))
	})
	t.Run("given up", func(t *testing.T) {
		r.assign(3, "dead", 4)
		r.backend.failGenerate(down, down, down)
		sub := subscribeUnit(t, r, 3)
		for range 3 {
			r.tick()
		}
		got := <-sub
		require.ErrorIs(t, got.err, stream.ErrJobFailed)
		require.Contains(t, got.err.Error(), "inference failed 3 times")
	})
	t.Run("refused", func(t *testing.T) {
		j := r.assign(4, "other model", 4)
		j.ModelId = "elsewhere"
		r.chain.putJob(j)
		sub := subscribeUnit(t, r, 4)
		r.tick()
		got := <-sub
		require.ErrorIs(t, got.err, stream.ErrJobFailed)
		require.Contains(t, got.err.Error(), `model "elsewhere" is not served`)
	})
	t.Run("no longer assigned", func(t *testing.T) {
		r.assign(5, "flaky then gone", 4)
		r.backend.failGenerate(down)
		sub := subscribeUnit(t, r, 5)
		r.tick()
		r.chain.setJobStatus(5, tasktypes.JOB_STATUS_EXPIRED)
		r.tick()
		got := <-sub
		require.ErrorIs(t, got.err, stream.ErrJobFailed)
		require.Contains(t, got.err.Error(), "no longer assigned")
	})
}

// TestUnitStreamTamperHook: Options.StreamTamperForTests changes a streamed token while
// the committed result stays honest.
func TestUnitStreamTamperHook(t *testing.T) {
	r := newUnitRig(t, withConfig(withStream), func(r *unitRig, _ *hooks) {
		r.streamTamper = func(_ tasktypes.Job, index int, id uint32, piece []byte) (uint32, []byte) {
			if index == 1 {
				return id + 1, []byte(" tampered")
			}
			return id, piece
		}
	})
	t.Cleanup(func() { r.w.Close() })
	j := r.assign(1, "hello", 4)
	sub := subscribeUnit(t, r, 1)
	r.tick()
	got, rec := <-sub, r.record(1)
	require.NoError(t, got.err)
	honest := fakeOutput(jobRequest(j))
	require.Equal(t, honest, rec.OutputTokens, "the committed result is honest")
	require.Len(t, got.tokens, 4)
	require.Equal(t, honest[1]+1, got.tokens[1])
	require.NotEqual(t, rec.OutputTokens, got.tokens)
	require.Contains(t, string(got.text), " tampered")
}

// TestUnitStreamOff: without stream_listen nothing listens and no job is streamed.
func TestUnitStreamOff(t *testing.T) {
	r := newUnitRig(t)
	require.Empty(t, r.w.StreamAddr())
	r.assign(1, "hello", 4)
	r.tick()
	require.Nil(t, r.backend.generated()[0].OnToken)
}
