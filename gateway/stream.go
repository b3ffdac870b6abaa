package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sovra-network/sovra/worker/stream"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// codeStreamMismatch: the provider streamed something other than what it committed.
const codeStreamMismatch = "stream_mismatch"

// drainAfterCommit bounds the wait for the rest of a provider's stream once the result
// is on chain (the stream normally ended a block before).
const drainAfterCommit = 2 * time.Second

// subscribeFunc opens a provider's token stream of a job, decrypted with the output key
// (worker/stream's client; tests may put another in its place).
type subscribeFunc func(ctx context.Context, endpoint string, jobID uint64, pub, priv *[32]byte) (<-chan stream.Event, error)

// newSubscriber is worker/stream's client with a bounded connection time: a provider that
// cannot be reached is given up after connectTimeout, while one that has not started the
// job yet holds the request (up to the worker's own wait).
func newSubscriber(connectTimeout time.Duration) subscribeFunc {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: connectTimeout}).DialContext
	t.ResponseHeaderTimeout = stream.DefaultWaitForStart + 15*time.Second
	c := &stream.Client{HTTP: &http.Client{Transport: t}}
	return c.Subscribe
}

// sse writes server-sent events in OpenAI's streaming shape.
type sse struct {
	w       http.ResponseWriter
	started bool
}

func (s *sse) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

func (s *sse) data(v any) {
	s.start()
	raw, _ := json.Marshal(v)
	fmt.Fprintf(s.w, "data: %s\n\n", raw)
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *sse) done() {
	fmt.Fprint(s.w, "data: [DONE]\n\n")
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

// fail ends a stream with an error event (or answers the error, if nothing was sent).
func (s *sse) fail(e *apiError) {
	if !s.started {
		writeError(s.w, e)
		return
	}
	s.data(map[string]any{"error": e})
}

// relay is the state of one streamed answer.
type relay struct {
	g        *Gateway
	o        *order
	out      *sse
	text     textOut
	tokens   []uint32 // streamed by the provider, in order
	bytes    []byte   // their text as streamed
	textOff  bool     // the stream's text can no longer be used (a chunk straddled a reset)
	first    bool     // output text was sent
	complete bool     // the provider's stream said end
	mismatch string
}

// stream answers with server-sent events: the provider's tokens as it generates them
// (from its endpoint, sealed to the user's key), then, once the result is committed, a
// check that the stream was exactly the committed output, and the usage and job.
func (g *Gateway) stream(w http.ResponseWriter, r *http.Request, o *order) *apiError {
	ctx := r.Context()
	rl := &relay{g: g, o: o, out: &sse{w: w}, text: textOut{stops: o.req.Stop}}
	var assigned tasktypes.Job
	select {
	case assigned = <-o.t.assigned:
	case f := <-o.t.result:
		o.t.result <- f
		if f.err != nil {
			writeError(w, f.err)
			return f.err
		}
		assigned = f.job
	case <-ctx.Done():
		return newError(499, "client_closed", "", "", "the client went away; job %d goes on", o.sub.JobID)
	}
	rl.delta("", true)
	// The provider's stream is opened beside the wait for the commit: a provider that has
	// not started the job yet holds the subscription, and the commit may come first.
	opened := make(chan (<-chan stream.Event), 1)
	go func() { opened <- g.providerStream(ctx, assigned) }()
	var events <-chan stream.Event
	mode := streamVerified
	for {
		select {
		case ch := <-opened:
			opened = nil
			if events = ch; ch == nil {
				mode = streamFallback
				g.metrics.fallbacks.Inc()
			}
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				if !rl.complete {
					g.logf("job %d: provider stream ended early (%v): the committed result completes it", o.sub.JobID, ev.Err)
				}
				events = nil
				continue
			}
			if rl.take(ev); rl.mismatch != "" {
				events = nil // the commit will show it; nothing more of this stream is used
			}
		case f := <-o.t.result:
			o.t.result <- f
			if f.err != nil {
				rl.out.fail(f.err)
				return f.err
			}
			if opened != nil {
				select {
				case ch := <-opened: // opened in the same instant
					if events = ch; ch == nil {
						mode = streamFallback
						g.metrics.fallbacks.Inc()
					}
				default:
					g.logf("job %d: committed before the provider's stream opened: answered from the chain", o.sub.JobID)
					mode = streamFallback
					g.metrics.fallbacks.Inc()
				}
			}
			if events != nil {
				rl.drain(events)
			}
			return rl.finish(ctx, f.job, mode)
		case <-ctx.Done():
			return newError(499, "client_closed", "", "", "the client went away; job %d goes on", o.sub.JobID)
		}
	}
}

// providerStream subscribes to the assigned provider's endpoint; nil when it has none or
// it does not stream the job.
func (g *Gateway) providerStream(ctx context.Context, job tasktypes.Job) <-chan stream.Event {
	if g.subscribe == nil {
		return nil
	}
	p, err := g.chain.node.Provider(ctx, job.Provider)
	if err != nil {
		g.logf("job %d: provider %s: %v: answered from the chain", job.Id, job.Provider, err)
		return nil
	}
	if p.Endpoint == "" {
		g.logf("job %d: provider %s has no endpoint: answered from the chain", job.Id, job.Provider)
		return nil
	}
	ch, err := g.subscribe(ctx, p.Endpoint, job.Id, g.chain.outPub, g.chain.outPriv)
	if err != nil {
		if ctx.Err() == nil {
			g.logf("job %d: stream of %s at %s: %v", job.Id, job.Provider, p.Endpoint, err)
		}
		return nil
	}
	return ch
}

// take applies one stream event: new tokens are sent, replayed ones checked.
func (rl *relay) take(ev stream.Event) {
	switch {
	case ev.End:
		rl.complete = true
		return
	case ev.Reset:
		return // a retried inference replays from token 0; replayed tokens are checked below
	}
	end := ev.Index + len(ev.Tokens)
	if uint64(end) > rl.o.req.MaxTokens {
		// More than the job allows: nothing of it can be the committed output, and a
		// provider must not make the gateway hold or relay without bound.
		if rl.mismatch == "" {
			rl.mismatch = fmt.Sprintf("%d tokens streamed, the job allows %d", end, rl.o.req.MaxTokens)
		}
		rl.textOff = true
		return
	}
	for i, tok := range ev.Tokens {
		if pos := ev.Index + i; pos < len(rl.tokens) && rl.tokens[pos] != tok && rl.mismatch == "" {
			rl.mismatch = fmt.Sprintf("token %d streamed as %d, then as %d", pos, rl.tokens[pos], tok)
		}
	}
	switch {
	case ev.Index > len(rl.tokens):
		if rl.mismatch == "" {
			rl.mismatch = fmt.Sprintf("the stream skipped from token %d to %d", len(rl.tokens), ev.Index)
		}
	case end <= len(rl.tokens):
	case ev.Index == len(rl.tokens):
		rl.tokens = append(rl.tokens, ev.Tokens...)
		rl.bytes = append(rl.bytes, ev.Text...)
		if !rl.textOff {
			rl.delta(rl.text.push(ev.Text), false)
		}
	default: // straddles what was streamed: its text cannot be split by token
		rl.tokens = append(rl.tokens, ev.Tokens[len(rl.tokens)-ev.Index:]...)
		rl.textOff = true
	}
}

// drain reads what is left of the provider's stream for a short while.
func (rl *relay) drain(events <-chan stream.Event) {
	timer := time.NewTimer(drainAfterCommit)
	defer timer.Stop()
	for !rl.complete {
		select {
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				return
			}
			rl.take(ev)
		case <-timer.C:
			return
		}
	}
}

// finish checks the stream against the committed output, sends what the stream did not,
// and ends with the finish reason, usage and job.
func (rl *relay) finish(ctx context.Context, job tasktypes.Job, mode string) *apiError {
	g, o := rl.g, rl.o
	out, e := g.open(job)
	if e != nil {
		rl.out.fail(e)
		return e
	}
	if rl.mismatch == "" && mode == streamVerified {
		rl.mismatch = compareStream(rl.tokens, rl.bytes, rl.complete, !rl.textOff, out)
	}
	if rl.mismatch != "" {
		g.metrics.mismatches.Inc()
		e := newError(http.StatusBadGateway, "api_error", codeStreamMismatch, "",
			"provider %s streamed job %d differently from what it committed: %s; the committed output is at /v1/sovra/jobs/%d",
			job.Provider, job.Id, rl.mismatch, job.Id)
		g.logf("%s", e.Message)
		rl.out.fail(e)
		return e
	}
	if mode == streamVerified && rl.textOff {
		mode = streamFallback
	}
	// What the stream did not bring (all of it without a stream; the rest after a chunk
	// that straddled a reset, whose text cannot be split by token) comes from the chain.
	rl.delta(rl.text.push(out.Text[len(rl.bytes):]), false)
	rl.delta(rl.text.finish(), false)
	g.observeSpeed(o, job)
	final := rl.chunk(job.Id)
	final["choices"] = []any{rl.choice(nil, finishReason(job, rl.text.stopped))}
	final["usage"] = usageOf(job)
	final["sovra"] = g.sovraInfo(ctx, job, o.sub.TxHash, mode)
	rl.out.data(final)
	rl.out.done()
	return nil
}

// compareStream says how a provider's stream differs from its committed output ("" when
// it does not): the tokens and bytes streamed must be the committed ones, all of them
// when the stream said it was complete (the bytes only when all of them were relayed).
func compareStream(tokens []uint32, text []byte, complete, allText bool, out tasktypes.SealedPayload) string {
	if len(tokens) > len(out.OutputTokens) {
		return fmt.Sprintf("%d tokens streamed, %d committed", len(tokens), len(out.OutputTokens))
	}
	for i, t := range tokens {
		if out.OutputTokens[i] != t {
			return fmt.Sprintf("token %d streamed as %d, committed as %d", i, t, out.OutputTokens[i])
		}
	}
	if !bytes.HasPrefix(out.Text, text) {
		return "the streamed text is not the committed text"
	}
	if complete && (len(tokens) != len(out.OutputTokens) || (allText && len(text) != len(out.Text))) {
		return fmt.Sprintf("the stream ended after %d of %d committed tokens", len(tokens), len(out.OutputTokens))
	}
	return ""
}

func (rl *relay) chunk(jobID uint64) map[string]any {
	object := "text_completion"
	if rl.o.req.Kind == kindChat {
		object = "chat.completion.chunk"
	}
	return map[string]any{"id": completionID(rl.o.req.Kind, jobID), "object": object, "created": rl.o.start.Unix(), "model": rl.o.req.Model}
}

func (rl *relay) choice(text *string, finish any) map[string]any {
	c := map[string]any{"index": 0, "finish_reason": finish, "logprobs": nil}
	if rl.o.req.Kind == kindChat {
		delta := map[string]any{}
		if text != nil {
			delta["content"] = *text
		}
		c["delta"] = delta
	} else {
		s := ""
		if text != nil {
			s = *text
		}
		c["text"] = s
	}
	return c
}

// delta sends text (or, first, the assistant role of a chat answer).
func (rl *relay) delta(text string, role bool) {
	if role {
		if rl.o.req.Kind != kindChat {
			rl.out.start()
			return
		}
		c := rl.chunk(rl.o.sub.JobID)
		c["choices"] = []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": ""}, "finish_reason": nil, "logprobs": nil}}
		rl.out.data(c)
		return
	}
	if text == "" {
		return
	}
	if !rl.first {
		rl.first = true
		source := "stream"
		if len(rl.tokens) == 0 {
			source = "chain"
		}
		rl.g.metrics.firstToken.WithLabelValues(source).Observe(time.Since(rl.o.start).Seconds())
	}
	c := rl.chunk(rl.o.sub.JobID)
	c["choices"] = []any{rl.choice(&text, nil)}
	rl.out.data(c)
}
