// Package llamaserver starts a real llama.cpp llama-server for tests (scripts/build-llama-server.sh
// or make llama-server builds it).
package llamaserver

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/internal/proc"
	"github.com/sovra-network/sovra/testutil/llamaenv"
)

// Binary returns the llama-server binary (testutil/llamaenv: SOVRA_LLAMA_SERVER, else
// <repo>/.llama/server/bin/llama-server). It skips the test when the binary is missing,
// unless SOVRA_REQUIRE_LLAMA_SERVER is set, then it fails.
func Binary(t testing.TB) string { return llamaenv.ServerBinary(t) }

// Options of a test server.
type Options struct {
	Model string // GGUF file
	// Context is -c and also -b/-ub: the whole prompt is one batch of this size, as in the
	// llama backend (which uses its context size for both). Required.
	Context int
	Threads int      // -t/-tb; 0 means 2
	Args    []string // more arguments
}

// Server is a running llama-server.
type Server struct {
	URL string // http://127.0.0.1:PORT
	Log string // file with its output
}

// Start starts llama-server (Binary) on a free loopback port with one slot, flash attention
// off and fixed batch sizes, waits until /health answers 200 and stops it in t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	if opts.Model == "" || opts.Context <= 0 {
		t.Fatalf("llamaserver.Start: Model and Context are required (got %q, %d)", opts.Model, opts.Context)
	}
	threads := opts.Threads
	if threads == 0 {
		threads = 2
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port can be taken before the server binds it
		ports, err := localnet.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		port := ports[0]
		s, err := start(t, bin, port, threads, opts)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("llama-server did not start: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string, port, threads int, opts Options) (*Server, error) {
	n := strconv.Itoa(opts.Context)
	args := []string{
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "-m", opts.Model,
		"--parallel", "1", "-fa", "off", "-c", n, "-b", n, "-ub", n,
		"-t", strconv.Itoa(threads), "-tb", strconv.Itoa(threads),
		"-cram", "0", // no host-memory prompt cache
	}
	args = append(args, opts.Args...)
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("llama-server-%d.log", port))
	p, err := proc.Start(bin, args, proc.Options{Log: logPath})
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Log: logPath}
	// Ready once /health answers 200 while the process runs (another server may hold the
	// port this one failed to bind).
	err = p.WaitReady(func() bool { return healthy(s.URL) }, time.Now().Add(2*time.Minute), 100*time.Millisecond)
	if err != nil {
		_ = p.Stop(stopGrace)
		return nil, err
	}
	t.Cleanup(func() { _ = p.Stop(stopGrace) })
	return s, nil
}

// stopGrace is how long llama-server gets to exit after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

func healthy(base string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
