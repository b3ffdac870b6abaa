package stream

import (
	"bytes"
	"errors"
	"sync"
	"time"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Limits bound what a hub keeps and serves. Zero fields take the defaults.
type Limits struct {
	// WaitForStart is how long a subscriber to a job the worker has not started streaming
	// waits for it before a 404, so a client can connect as soon as the job is assigned.
	WaitForStart time.Duration
	// Retain and RetainJobs bound the streams kept after they ended (for late
	// subscribers): each is dropped this long after its last event, and beyond the
	// RetainJobs most recent. A stream silent for Retain (a job abandoned between two
	// attempts) is dropped too.
	Retain     time.Duration
	RetainJobs int
	// MaxPerJob and MaxSubscribers bound the open subscriptions (waiting ones count) of
	// one job (more get 429) and in all (more get 503).
	MaxPerJob      int
	MaxSubscribers int
	// MaxChunkTokens bounds the tokens of one chunk (a late subscriber's replay is cut
	// into chunks of this size).
	MaxChunkTokens int
	// Heartbeat is how often an idle stream sends an SSE comment, which keeps proxies
	// from closing it and tells the server when the subscriber has gone.
	Heartbeat time.Duration
}

// Default limits.
const (
	DefaultWaitForStart   = 30 * time.Second
	DefaultRetain         = 10 * time.Minute
	DefaultRetainJobs     = 256
	DefaultMaxPerJob      = 8
	DefaultMaxSubscribers = 256
	DefaultMaxChunkTokens = 256
	DefaultHeartbeat      = 15 * time.Second
)

func (l Limits) withDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.WaitForStart, DefaultWaitForStart)
	def(&l.Retain, DefaultRetain)
	def(&l.Heartbeat, DefaultHeartbeat)
	defInt(&l.RetainJobs, DefaultRetainJobs)
	defInt(&l.MaxPerJob, DefaultMaxPerJob)
	defInt(&l.MaxSubscribers, DefaultMaxSubscribers)
	defInt(&l.MaxChunkTokens, DefaultMaxChunkTokens)
	return l
}

// Errors of Hub.subscribe, which the server answers with an HTTP status.
var (
	errJobBusy  = errors.New("too many subscribers to this job")          // 429
	errHubBusy  = errors.New("too many subscribers to this worker")       // 503
	errClosed   = errors.New("the worker's stream server is closing")     // 503
	errNotFound = errors.New("this worker is not streaming the job")      // 404
	errBadKey   = errors.New("the job's output key is not 32 bytes long") // Begin
)

// Hub holds the streams of a worker's jobs, keyed by job id: the tokens of each job's
// current attempt in plaintext (sealed per subscriber as they are sent), and whether it
// ended or failed. The worker feeds it (Begin, then the Stream's methods); subscribers
// read it through the Server. Every method is safe for concurrent use, and the Stream
// methods are cheap: they append and wake the subscribers, who seal on their own
// goroutines, so the generation is never slowed by a reader.
type Hub struct {
	limits  Limits
	metrics *Metrics
	now     func() time.Time

	mu       sync.Mutex
	jobs     map[uint64]*jobStream
	order    []uint64 // job ids in the order they began, for retention
	subs     int
	perJob   map[uint64]int
	begun    chan struct{} // closed and replaced when a stream begins: wakes waiting subscribers
	closed   bool
	closedCh chan struct{}
}

// jobStream is one job's stream. Its fields are guarded by the hub's mutex.
type jobStream struct {
	id  uint64
	key [32]byte
	// attempt counts the resets: a subscriber that saw an earlier attempt gets a reset.
	attempt int
	tokens  []uint32
	text    []byte
	offsets []int // offsets[i]: where token i's bytes start in text
	end     *End
	failed  string // the error event's message, once the worker gave the job up
	last    time.Time
	// changed is closed and replaced at every change: it wakes the subscribers.
	changed chan struct{}
}

func (j *jobStream) done() bool { return j.end != nil || j.failed != "" }

func (j *jobStream) touch(now time.Time) {
	j.last = now
	close(j.changed)
	j.changed = make(chan struct{})
}

// NewHub returns an empty hub; m may be nil (no metrics).
func NewHub(limits Limits, m *Metrics) *Hub {
	return &Hub{
		limits: limits.withDefaults(), metrics: m, now: time.Now,
		jobs: map[uint64]*jobStream{}, perJob: map[uint64]int{},
		begun: make(chan struct{}), closedCh: make(chan struct{}),
	}
}

// Limits returns the hub's limits, defaults filled in.
func (h *Hub) Limits() Limits { return h.limits }

// Stream is the worker's handle on one job's stream.
type Stream struct {
	hub *Hub
	id  uint64
}

// Begin starts streaming a job whose output is sealed to outputKey (the job's on-chain
// output key), or continues its stream for another attempt (the tokens of a failed one
// were dropped by Reset). Subscribers waiting for the job are served from now on.
func (h *Hub) Begin(jobID uint64, outputKey []byte) (*Stream, error) {
	if len(outputKey) != tasktypes.OutputKeySize {
		return nil, errBadKey
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	h.expire(now)
	j := h.jobs[jobID]
	switch {
	case j == nil:
		j = &jobStream{id: jobID, changed: make(chan struct{})}
		h.jobs[jobID] = j
		h.order = append(h.order, jobID)
		if h.metrics != nil {
			h.metrics.Streams.Inc()
		}
	case j.done() || len(j.tokens) > 0:
		// A job streamed again (a worker never does: its store keeps the result); its
		// subscribers start over.
		j.attempt++
		j.tokens, j.text, j.offsets, j.end, j.failed = nil, nil, nil, nil, ""
	}
	copy(j.key[:], outputKey)
	j.touch(now)
	close(h.begun)
	h.begun = make(chan struct{})
	h.trim()
	return &Stream{hub: h, id: jobID}, nil
}

// Token appends the output token at index (OnToken's arguments). A token out of order
// (index not the next one) or after the end is dropped.
func (s *Stream) Token(index int, id uint32, piece []byte) {
	s.update(func(j *jobStream) bool {
		if j.done() || index != len(j.tokens) {
			return false
		}
		j.tokens = append(j.tokens, id)
		j.offsets = append(j.offsets, len(j.text))
		j.text = append(j.text, piece...)
		return true
	})
}

// Reset drops the tokens of a failed attempt: subscribers that received some are told to
// drop them (a reset event) and wait for the next attempt.
func (s *Stream) Reset() {
	s.update(func(j *jobStream) bool {
		if j.done() {
			return false
		}
		if len(j.tokens) > 0 {
			j.attempt++
			j.tokens, j.text, j.offsets = nil, nil, nil
		}
		return true
	})
}

// End completes the stream: stop is StopEOS or StopMaxTokens.
func (s *Stream) End(stop string) {
	s.update(func(j *jobStream) bool {
		if j.done() {
			return false
		}
		j.end = &End{Tokens: len(j.tokens), Stop: stop}
		return true
	})
}

// Fail ends the stream with an error event: the worker gave the job up.
func (s *Stream) Fail(message string) { s.hub.Fail(s.id, message) }

// Fail ends a job's stream with an error event, when it is open.
func (h *Hub) Fail(jobID uint64, message string) {
	if message == "" {
		message = "the worker gave the job up"
	}
	h.updateJob(jobID, func(j *jobStream) bool {
		if j.done() {
			return false
		}
		j.failed = message
		return true
	})
}

// Subscribers is the number of open subscriptions of a job, waiting ones included.
func (h *Hub) Subscribers(jobID uint64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.perJob[jobID]
}

// Open returns the ids of the streams that have neither ended nor failed.
func (h *Hub) Open() []uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []uint64
	for _, id := range h.order {
		if j := h.jobs[id]; j != nil && !j.done() {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Stream) update(f func(*jobStream) bool) { s.hub.updateJob(s.id, f) }

func (h *Hub) updateJob(id uint64, f func(*jobStream) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	j := h.jobs[id]
	if j == nil || !f(j) {
		return
	}
	j.touch(h.now())
	if j.done() {
		h.trim()
	}
}

// expire drops the ended streams silent for longer than Retain; an open one that silent
// (a job abandoned between two attempts) fails, so its subscribers hear why, and is
// dropped a Retain later.
func (h *Hub) expire(now time.Time) {
	kept := h.order[:0]
	for _, id := range h.order {
		j := h.jobs[id]
		if now.Sub(j.last) > h.limits.Retain {
			if j.done() {
				delete(h.jobs, id)
				continue
			}
			j.failed = "the stream was abandoned"
			j.touch(now)
		}
		kept = append(kept, id)
	}
	clear(h.order[len(kept):])
	h.order = kept
}

// trim drops the oldest ended streams beyond RetainJobs.
func (h *Hub) trim() {
	ended := 0
	for _, id := range h.order {
		if h.jobs[id].done() {
			ended++
		}
	}
	if ended <= h.limits.RetainJobs {
		return
	}
	kept := h.order[:0]
	for _, id := range h.order {
		if ended > h.limits.RetainJobs && h.jobs[id].done() {
			delete(h.jobs, id)
			ended--
			continue
		}
		kept = append(kept, id)
	}
	clear(h.order[len(kept):])
	h.order = kept
}

// Close wakes every subscriber, which ends its response; no new one is accepted.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closedCh)
	}
}

// subscription is one subscriber's place in a job's stream.
type subscription struct {
	hub *Hub
	id  uint64
	// attempt and next: what the subscriber has received (next: the index of the next
	// token to send) and whether it received anything in this attempt.
	attempt  int
	next     int
	received bool
}

// subscribe takes a subscriber's slot (per job and in all), or says why not.
func (h *Hub) subscribe(jobID uint64) (*subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, errClosed
	case h.perJob[jobID] >= h.limits.MaxPerJob:
		return nil, errJobBusy
	case h.subs >= h.limits.MaxSubscribers:
		return nil, errHubBusy
	}
	h.subs++
	h.perJob[jobID]++
	if h.metrics != nil {
		h.metrics.Subscribers.Inc()
	}
	return &subscription{hub: h, id: jobID}, nil
}

// release frees the subscriber's slot.
func (s *subscription) release() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs--
	if h.perJob[s.id]--; h.perJob[s.id] <= 0 {
		delete(h.perJob, s.id)
	}
	if h.metrics != nil {
		h.metrics.Subscribers.Dec()
	}
}

// waitBegun returns once the job's stream exists (true), or false when wait passed,
// done was closed or the hub closed first.
func (s *subscription) waitBegun(wait time.Duration, done <-chan struct{}) bool {
	h := s.hub
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		h.mu.Lock()
		h.expire(h.now())
		_, ok := h.jobs[s.id]
		begun := h.begun
		h.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-begun:
		case <-timer.C:
			return false
		case <-done:
			return false
		case <-h.closedCh:
			return false
		}
	}
}

// step is what a subscriber sends next.
type step struct {
	reset bool
	chunk *Chunk
	key   [32]byte
	end   *End
	fail  string
	// wait, when nothing is to be sent: closed at the stream's next change.
	wait <-chan struct{}
	// gone: the stream was dropped (expired or the hub closed) before it ended.
	gone bool
}

// nextStep returns the subscriber's next event, or a channel to wait on.
func (s *subscription) nextStep() step {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return step{gone: true}
	}
	j := h.jobs[s.id]
	if j == nil {
		return step{gone: true}
	}
	if s.attempt != j.attempt {
		had := s.received
		s.attempt, s.next, s.received = j.attempt, 0, false
		if had {
			return step{reset: true}
		}
	}
	if s.next < len(j.tokens) {
		n := min(len(j.tokens)-s.next, h.limits.MaxChunkTokens)
		from, to := j.offsets[s.next], len(j.text)
		if s.next+n < len(j.tokens) {
			to = j.offsets[s.next+n]
		}
		c := &Chunk{Index: s.next, Tokens: append([]uint32(nil), j.tokens[s.next:s.next+n]...), Text: bytes.Clone(j.text[from:to])}
		if c.Text == nil {
			c.Text = []byte{}
		}
		s.next += n
		s.received = true
		return step{chunk: c, key: j.key}
	}
	switch {
	case j.end != nil:
		e := *j.end
		return step{end: &e}
	case j.failed != "":
		return step{fail: j.failed}
	}
	return step{wait: j.changed}
}
