package stream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// PathPrefix and PathSuffix frame a stream's path: /v1/jobs/{id}/stream.
const (
	PathPrefix = "/v1/jobs/"
	PathSuffix = "/stream"
)

// Path is the path of a job's stream.
func Path(jobID uint64) string { return PathPrefix + strconv.FormatUint(jobID, 10) + PathSuffix }

// Handler serves GET /v1/jobs/{id}/stream from the hub as server-sent events (the wire
// format is in worker/README.md). Anything else is a 404 (another path) or a 405.
type Handler struct {
	hub *Hub
	mux *http.ServeMux
	// done, when closed, ends every response (the server is closing).
	done <-chan struct{}
}

// NewHandler serves hub's streams.
func NewHandler(hub *Hub) *Handler { return newHandler(hub, nil) }

func newHandler(hub *Hub, done <-chan struct{}) *Handler {
	h := &Handler{hub: hub, mux: http.NewServeMux(), done: done}
	m := hub.metrics
	h.mux.HandleFunc(PathPrefix+"{id}"+PathSuffix, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			m.refused(RefusedBadRequest)
			w.Header().Set("Allow", http.MethodGet)
			httpError(w, http.StatusMethodNotAllowed, "only GET is served")
			return
		}
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil || id == 0 {
			m.refused(RefusedBadRequest)
			httpError(w, http.StatusBadRequest, fmt.Sprintf("job id %q must be a positive integer", r.PathValue("id")))
			return
		}
		h.serve(w, r, id)
	})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		m.refused(RefusedBadRequest)
		httpError(w, http.StatusNotFound, "not found: the worker serves GET "+PathPrefix+"{id}"+PathSuffix)
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// serve streams one job to one subscriber.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, id uint64) {
	m := h.hub.metrics
	sub, err := h.hub.subscribe(id)
	switch {
	case errors.Is(err, errJobBusy):
		m.refused(RefusedJobBusy)
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusTooManyRequests, fmt.Sprintf("job %d: %v (at most %d)", id, err, h.hub.limits.MaxPerJob))
		return
	case err != nil:
		m.refused(RefusedBusy)
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer sub.release()
	ctx := r.Context()
	done := mergeDone(ctx, h.done)
	if !sub.waitBegun(h.hub.limits.WaitForStart, done) {
		if ctx.Err() != nil {
			return
		}
		m.refused(RefusedNotFound)
		httpError(w, http.StatusNotFound, fmt.Sprintf("job %d: %v (waited %s)", id, errNotFound, h.hub.limits.WaitForStart))
		return
	}
	flusher, _ := w.(http.Flusher)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush() // the subscriber learns at once that the job is streamed
	}
	if m != nil {
		m.Served.Inc()
	}
	send := func(event, data string) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	heartbeat := time.NewTicker(h.hub.limits.Heartbeat)
	defer heartbeat.Stop()
	for {
		st := sub.nextStep()
		switch {
		case st.gone:
			return
		case st.reset:
			if !send(EventReset, "{}") {
				return
			}
		case st.chunk != nil:
			sealed, err := SealChunk(st.key[:], *st.chunk)
			if err != nil {
				send(EventError, jsonString("message", "seal: "+err.Error()))
				return
			}
			if !send(EventChunk, base64.StdEncoding.EncodeToString(sealed)) {
				return
			}
			if m != nil {
				m.Chunks.Inc()
			}
		case st.end != nil:
			raw, _ := json.Marshal(st.end)
			send(EventEnd, string(raw))
			return
		case st.fail != "":
			send(EventError, jsonString("message", st.fail))
			return
		default:
			select {
			case <-st.wait:
			case <-heartbeat.C:
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
			case <-done:
				return
			case <-h.hub.closedCh:
				return
			}
		}
	}
}

func jsonString(key, value string) string {
	raw, _ := json.Marshal(map[string]string{key: value})
	return string(raw)
}

// mergeDone is closed when ctx ends or stop (which may be nil) is closed.
func mergeDone(ctx context.Context, stop <-chan struct{}) <-chan struct{} {
	if stop == nil {
		return ctx.Done()
	}
	out := make(chan struct{})
	go func() {
		defer close(out)
		select {
		case <-ctx.Done():
		case <-stop:
		}
	}()
	return out
}

// Server is the worker's public stream listener, apart from its operator API.
type Server struct {
	// Addr is the bound address (host:port).
	Addr string
	http *http.Server
	stop chan struct{}
	once sync.Once
}

// Start listens on addr (port 0 picks a free one) and serves hub's streams until Close.
func Start(hub *Hub, addr string) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("worker stream server on %s: %w", addr, err)
	}
	s := &Server{Addr: lis.Addr().String(), stop: make(chan struct{})}
	h := newHandler(hub, s.stop)
	// No write timeout: a stream lasts as long as its job's generation.
	s.http = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	go func() { _ = s.http.Serve(lis) }()
	return s, nil
}

// Close ends the open streams (their subscribers see the connection end and fall back to
// the committed result) and stops the listener.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.http.Shutdown(ctx)
	})
}
