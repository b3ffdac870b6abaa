package worker

import (
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/stream"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// The public token stream (stream_listen, worker/stream): while a job runs, its tokens go
// to a hub, from which anyone may read them, each chunk sealed to the job's output key.
// The stream is a preview; the result committed on chain is what counts.

// startStream opens the stream listener when stream_listen is set.
func (w *Worker) startStream(prov providertypes.Provider) error {
	if w.cfg.StreamListen == "" {
		if prov.Endpoint != "" {
			w.logf("note: the provider's endpoint is %s but stream_listen is empty: no tokens are streamed", prov.Endpoint)
		}
		return nil
	}
	w.streams = stream.NewHub(stream.Limits{}, stream.NewMetrics(w.metrics.Registry))
	srv, err := stream.Start(w.streams, w.cfg.StreamListen)
	if err != nil {
		return err
	}
	w.streamSrv = srv
	if prov.Endpoint == "" {
		w.logf("note: tokens are streamed on %s, but the provider has no endpoint on chain: clients find the stream "+
			"by it (sovrad tx provider update --endpoint http(s)://<public host:port> --from <operator>)", srv.Addr)
	}
	return nil
}

// StreamAddr is the address the token stream listens on ("" when off).
func (w *Worker) StreamAddr() string {
	if w.streamSrv == nil {
		return ""
	}
	return w.streamSrv.Addr
}

// beginStream starts (or resumes, for another attempt) the stream of a job about to run,
// returning it and the callback that feeds it; both nil when streaming is off.
func (w *Worker) beginStream(job tasktypes.Job) (*stream.Stream, inference.OnToken) {
	if w.streams == nil {
		return nil, nil
	}
	st, err := w.streams.Begin(job.Id, job.OutputKey)
	if err != nil {
		w.logf("job %d: not streamed: %v", job.Id, err)
		return nil, nil
	}
	if w.streamTamper == nil {
		return st, st.Token
	}
	return st, func(index int, id uint32, piece []byte) {
		id, piece = w.streamTamper(job, index, id, piece)
		st.Token(index, id, piece)
	}
}

// failStream ends a job's stream with an error event: the worker will not serve the job.
// A job refused before it ran gets a stream for the error, so that a subscriber waiting
// for it hears at once.
func (w *Worker) failStream(job tasktypes.Job, st *stream.Stream, msg string) {
	if w.streams == nil {
		return
	}
	if st == nil {
		var err error
		if st, err = w.streams.Begin(job.Id, job.OutputKey); err != nil {
			return
		}
	}
	st.Fail(msg)
}

// dropStreams fails the open streams of jobs no longer assigned (one that expired or was
// cancelled while its inference waited for another attempt).
func (w *Worker) dropStreams(assigned map[uint64]bool) {
	if w.streams == nil {
		return
	}
	for _, id := range w.streams.Open() {
		if !assigned[id] {
			w.streams.Fail(id, "the job is no longer assigned to this provider")
		}
	}
}
