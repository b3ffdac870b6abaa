// Package gateway serves the OpenAI API on a user's machine and turns each request into a
// paid, verified job on Sovra, signed with the user's own key: /v1/models,
// /v1/completions, /v1/chat/completions (streaming as server-sent events) and
// /v1/sovra/jobs/{id}. See README "Use Sovra from any OpenAI client".
package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sovra-network/sovra/gateway/config"
)

// maxBodyBytes bounds a request body; prompts are bounded far below by the chain.
const maxBodyBytes = 1 << 20

// Options are what a caller may add to the configuration.
type Options struct {
	Logf func(format string, args ...any)
	// Now is the wall clock of the budget's days (tests); time.Now when nil.
	Now func() time.Time
}

// Gateway is a running OpenAI API in front of the chain.
type Gateway struct {
	cfg     *config.Config
	opts    Options
	chain   *chainClient
	market  *market
	heights *heights
	budget  *budget
	metrics *metrics
	// subscribe opens a provider's token stream (worker/stream's client).
	subscribe subscribeFunc

	ctx    context.Context // the gateway's lifetime: jobs are followed within it
	cancel context.CancelFunc
	srv    *http.Server
	ln     net.Listener
}

// New connects to the node with the user's key and opens the budget ledger; it serves
// nothing until Start.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := dialChain(cfg)
	if err != nil {
		return nil, err
	}
	b, err := openBudget(cfg.Budget.Amount, cfg.DataDir, opts.Now)
	if err != nil {
		c.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		cfg: cfg, opts: opts, chain: c, market: &market{chain: c}, budget: b, metrics: newMetrics(),
		heights: newHeights(c.height, cfg.PollInterval), ctx: ctx, cancel: cancel,
		subscribe: newSubscriber(cfg.StreamConnectTimeout),
	}
	return g, nil
}

// Address is the account that pays for the jobs.
func (g *Gateway) Address() string { return g.chain.addr }

// Addr is the address the API listens on, once started.
func (g *Gateway) Addr() string {
	if g.ln == nil {
		return ""
	}
	return g.ln.Addr().String()
}

// Start listens on the configured address and serves until Close. Jobs the ledger lists
// as open (a restart while they ran) are followed again, so their cost is settled.
func (g *Gateway) Start() error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", g.cfg.Listen, err)
	}
	g.ln = ln
	g.srv = &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := g.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.logf("serve: %v", err)
		}
	}()
	for _, id := range g.budget.openJobs() {
		g.track(submitted{JobID: id, Height: 1})
	}
	return nil
}

// Close stops serving and following jobs; the chain keeps them (their escrows are
// refunded or paid there).
func (g *Gateway) Close() error {
	g.cancel()
	var err error
	if g.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = g.srv.Shutdown(ctx)
		cancel()
	}
	return errors.Join(err, g.chain.close())
}

// Handler is the gateway's HTTP API.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", g.handleModels)
	mux.HandleFunc("GET /v1/models/{id...}", g.handleModel)
	mux.HandleFunc("POST /v1/completions", g.handleInference(kindCompletion))
	mux.HandleFunc("POST /v1/chat/completions", g.handleInference(kindChat))
	mux.HandleFunc("GET /v1/sovra/jobs/{id}", g.handleJob)
	mux.HandleFunc("GET /healthz", g.handleHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, "invalid_request_error", "unknown_url", "", "no route %s %s", r.Method, r.URL.Path))
	})
	return g.authorize(mux)
}

// authorize requires the bearer token, when one is configured, on everything but /healthz.
func (g *Gateway) authorize(next http.Handler) http.Handler {
	if g.cfg.APIToken == "" {
		return next
	}
	want := []byte("Bearer " + g.cfg.APIToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, newError(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "", "a valid bearer token is required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h, err := g.chain.height(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "height": h, "address": g.chain.addr})
}

func (g *Gateway) logf(format string, args ...any) {
	if g.opts.Logf != nil {
		g.opts.Logf(format, args...)
	}
}
