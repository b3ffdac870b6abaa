// Package llamaserver starts a real llama.cpp llama-server for tests (scripts/build-llama-server.sh
// or make llama-server builds it).
package llamaserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
)

// Binary returns the llama-server binary: SOVRA_LLAMA_SERVER, else
// <repo>/.llama/server/bin/llama-server. It skips the test when the binary is missing,
// unless SOVRA_REQUIRE_LLAMA_SERVER is set, then it fails.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("SOVRA_LLAMA_SERVER")
	if bin == "" {
		_, file, _, _ := runtime.Caller(0)
		bin = filepath.Join(filepath.Dir(file), "..", "..", ".llama", "server", "bin", "llama-server")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("SOVRA_REQUIRE_LLAMA_SERVER") != "" {
			t.Fatalf("SOVRA_REQUIRE_LLAMA_SERVER is set but llama-server is missing at %s: %v", bin, err)
		}
		t.Skipf("llama-server not found at %s: run `make llama-server` (set SOVRA_REQUIRE_LLAMA_SERVER=1 to fail instead)", bin)
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

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
	cmd *exec.Cmd
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
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Log: logPath, cmd: cmd}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			exited <- err // for stop
			return nil, fmt.Errorf("exited (%v) before it was ready; log %s:\n%s", err, logPath, tail(logPath))
		default:
		}
		if healthy(s.URL) {
			t.Cleanup(stop)
			return s, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no healthy /health after 2m; log %s:\n%s", logPath, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

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

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.TrimSpace(string(bytes.Join(lines, []byte("\n"))))
}
