package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Event is one event of a job's stream, opened with the output key. It is exactly one
// of: a chunk (Tokens not empty), a Reset, the End, or an Err.
type Event struct {
	// A chunk: Index is the position of Tokens[0] in the output, Text the bytes the
	// tokens add to the text. Chunks arrive in order, without gaps, from index 0.
	Index  int
	Tokens []uint32
	Text   []byte
	// Reset: the worker restarts the output (a failed attempt is retried): drop every
	// token received; the next chunk is at index 0.
	Reset bool
	// End: the output is complete, with Total tokens (those received) and Stop
	// (StopEOS or StopMaxTokens). The channel closes after it.
	End   bool
	Total int
	Stop  string
	// Err: the stream is over without an end; the channel closes after it. It wraps
	// ErrJobFailed (the worker gave the job up, with its message), ErrLost (the
	// connection broke or went silent), ErrUnreadable (a chunk this key cannot open) or
	// ErrProtocol. In every case the committed result on chain is what to use.
	Err error
}

// Errors of Subscribe and of Event.Err.
var (
	// ErrNotStreaming: the worker did not start streaming the job within its wait (404).
	ErrNotStreaming = errors.New("the worker is not streaming this job")
	// ErrBusy: the worker refused another subscriber (429 or 503); retrying later may work.
	ErrBusy = errors.New("the worker's stream server is busy")
	// ErrLost: the connection ended, failed or went silent before the end.
	ErrLost = errors.New("the stream was lost before the output was complete")
	// ErrJobFailed: the worker gave the job up (an error event).
	ErrJobFailed = errors.New("the worker gave the job up")
	// ErrProtocol: the server sent something the wire format does not allow.
	ErrProtocol = errors.New("the stream broke the wire format")
)

// Client subscribes to workers' streams.
type Client struct {
	// HTTP is the client used; nil means one whose transport waits WaitForStart plus
	// 15 s for the response headers (a worker holds a subscriber until the job starts).
	HTTP *http.Client
	// Idle is how long the stream may be silent (the server sends a comment every
	// Heartbeat) before it counts as lost; 0 means 3 × DefaultHeartbeat.
	Idle time.Duration
	// MaxEventBytes bounds one event; 0 means 4 MiB.
	MaxEventBytes int
}

// DefaultClient is the Client of Subscribe.
var DefaultClient = &Client{}

// Subscribe is DefaultClient.Subscribe.
func Subscribe(ctx context.Context, endpoint string, jobID uint64, pub, priv *[32]byte) (<-chan Event, error) {
	return DefaultClient.Subscribe(ctx, endpoint, jobID, pub, priv)
}

var defaultHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = DefaultWaitForStart + 15*time.Second
	return &http.Client{Transport: t}
}()

// StreamURL is the URL of a job's stream at a worker's endpoint (the provider's on-chain
// endpoint: an http or https URL, possibly with a path prefix).
func StreamURL(endpoint string, jobID uint64) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("stream endpoint %q must be an http(s) URL", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("stream endpoint %q must not have a query or fragment", endpoint)
	}
	return strings.TrimRight(u.String(), "/") + Path(jobID), nil
}

// Subscribe connects to the stream of job jobID at a worker's endpoint and returns its
// events, each chunk opened with the key pair of the job's output key. It returns once
// the worker answers: an error wrapping ErrNotStreaming, ErrBusy or ErrLost (no answer)
// when it does not stream. The channel then yields chunks (and resets) until an End or
// an Err, and closes; cancelling ctx stops it (the channel closes without an event).
func (c *Client) Subscribe(ctx context.Context, endpoint string, jobID uint64, pub, priv *[32]byte) (<-chan Event, error) {
	if pub == nil || priv == nil {
		return nil, errors.New("stream: no key pair")
	}
	target, err := StreamURL(endpoint, jobID)
	if err != nil {
		return nil, err
	}
	hc, idle, maxEvent := c.HTTP, c.Idle, c.MaxEventBytes
	if hc == nil {
		hc = defaultHTTP
	}
	if idle <= 0 {
		idle = 3 * DefaultHeartbeat
	}
	if maxEvent <= 0 {
		maxEvent = 4 << 20
	}
	rctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req) //nolint:bodyclose // closed on each error path below, else by the reader goroutine
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrLost, target, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer cancel()
		defer resp.Body.Close()
		msg := readError(resp.Body)
		switch resp.StatusCode {
		case http.StatusNotFound:
			return nil, fmt.Errorf("%w: %s: %s", ErrNotStreaming, target, msg)
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return nil, fmt.Errorf("%w: %s: HTTP %d: %s", ErrBusy, target, resp.StatusCode, msg)
		}
		return nil, fmt.Errorf("stream %s: HTTP %d: %s", target, resp.StatusCode, msg)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s answered %q, not text/event-stream", ErrProtocol, target, ct)
	}
	out := make(chan Event, 16)
	r := &reader{ctx: ctx, out: out, pub: pub, priv: priv}
	go func() {
		defer close(out)
		defer cancel()
		defer resp.Body.Close()
		// The connection counts as lost when nothing, not even a keep-alive, arrives for idle.
		watchdog := time.AfterFunc(idle, cancel)
		defer watchdog.Stop()
		body := &touchReader{r: resp.Body, touch: func() { watchdog.Reset(idle) }}
		r.run(body, maxEvent)
	}()
	return out, nil
}

func readError(body io.Reader) string {
	raw, _ := io.ReadAll(io.LimitReader(body, 4<<10))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(raw))
}

// touchReader calls touch whenever bytes arrive.
type touchReader struct {
	r     io.Reader
	touch func()
}

func (t *touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.touch()
	}
	return n, err
}

// reader turns the server-sent events of one response into Events.
type reader struct {
	ctx       context.Context
	out       chan<- Event
	pub, priv *[32]byte
	next      int // the index the next chunk must have
}

// emit sends ev unless the subscriber has gone; false stops the reader.
func (r *reader) emit(ev Event) bool {
	select {
	case r.out <- ev:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *reader) fail(err error) { r.emit(Event{Err: err}) }

// run reads events until the stream ends.
func (r *reader) run(body io.Reader, maxEvent int) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEvent)
	var event string
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 { // the end of an event
			if event != "" || data.Len() > 0 {
				if !r.dispatch(event, data.Bytes()) {
					return
				}
			}
			event = ""
			data.Reset()
			continue
		}
		if line[0] == ':' { // a comment: keep-alive
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			event = string(value)
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(value)
		}
		if data.Len() > maxEvent {
			r.fail(fmt.Errorf("%w: an event longer than %d bytes", ErrProtocol, maxEvent))
			return
		}
	}
	switch err := sc.Err(); {
	case r.ctx.Err() != nil:
	case errors.Is(err, bufio.ErrTooLong):
		r.fail(fmt.Errorf("%w: a line longer than %d bytes", ErrProtocol, maxEvent))
	default:
		r.fail(fmt.Errorf("%w: %w", ErrLost, errOrEOF(err)))
	}
}

// errOrEOF: a scanner's nil error at the end is the connection closing early.
func errOrEOF(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// dispatch handles one event; false ends the stream.
func (r *reader) dispatch(event string, data []byte) bool {
	switch event {
	case EventChunk:
		sealed, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			r.fail(fmt.Errorf("%w: chunk data is not base64: %w", ErrProtocol, err))
			return false
		}
		c, err := OpenChunk(sealed, r.pub, r.priv)
		if err != nil {
			r.fail(err)
			return false
		}
		if c.Index != r.next {
			r.fail(fmt.Errorf("%w: chunk at index %d, expected %d", ErrProtocol, c.Index, r.next))
			return false
		}
		r.next += len(c.Tokens)
		return r.emit(Event{Index: c.Index, Tokens: c.Tokens, Text: c.Text})
	case EventReset:
		r.next = 0
		return r.emit(Event{Reset: true})
	case EventEnd:
		var e End
		if err := json.Unmarshal(data, &e); err != nil || (e.Stop != StopEOS && e.Stop != StopMaxTokens) {
			r.fail(fmt.Errorf("%w: end event %q", ErrProtocol, data))
			return false
		}
		if e.Tokens != r.next {
			r.fail(fmt.Errorf("%w: end after %d tokens, %d received", ErrProtocol, e.Tokens, r.next))
			return false
		}
		r.emit(Event{End: true, Total: e.Tokens, Stop: e.Stop})
		return false
	case EventError:
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e.Message = string(data)
		}
		r.fail(fmt.Errorf("%w: %s", ErrJobFailed, e.Message))
		return false
	}
	return true // an event this client does not know: later versions may add some
}
