package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/internal/chattemplate"
	taskkeeper "github.com/sovra-network/sovra/x/task/keeper"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// order is a request on its way: the job it became and how it is followed.
type order struct {
	req   jobRequest
	start time.Time
	model modelMarket
	msg   *tasktypes.MsgSubmitJob
	sub   submitted
	t     *tracked
}

func (g *Gateway) handleInference(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			g.fail(w, kind, newError(http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "", "request body above %d bytes: %v", maxBodyBytes, err))
			return
		}
		req, e := parseRequest(kind, body)
		if e != nil {
			g.fail(w, kind, e)
			return
		}
		o, e := g.place(r.Context(), req, start)
		if e != nil {
			g.fail(w, kind, e)
			return
		}
		if req.Stream {
			e = g.stream(w, r, o)
		} else {
			e = g.answer(w, r, o)
		}
		g.metrics.requests.WithLabelValues(kind, outcomeOf(e)).Inc()
		if e == nil {
			g.metrics.latency.WithLabelValues(strconv.FormatBool(req.Stream)).Observe(time.Since(start).Seconds())
		}
	}
}

// fail answers an error before anything was streamed, and counts it.
func (g *Gateway) fail(w http.ResponseWriter, kind string, e *apiError) {
	g.metrics.requests.WithLabelValues(kind, outcomeOf(e)).Inc()
	writeError(w, e)
}

// place turns a checked request into a job on chain: it renders the prompt, prices the
// job within the caps, reserves its escrow from the budget, and submits it.
func (g *Gateway) place(ctx context.Context, req jobRequest, start time.Time) (*order, *apiError) {
	models, _, params, err := g.market.snapshot(ctx)
	if err != nil {
		return nil, chainError(err)
	}
	m, ok := models[req.Model]
	if !ok {
		return nil, modelNotFound(req.Model)
	}
	promptParam := "prompt"
	if req.Kind == kindChat {
		promptParam = "messages"
		if m.Model.ChatTemplate == "" {
			return nil, badParam("messages", "model %q has no chat template registered on chain: use /v1/completions with a rendered prompt", req.Model)
		}
		p, err := chattemplate.Apply(m.Model.ChatTemplate, req.Messages, true)
		if err != nil {
			return nil, badParam("messages", "render the messages with the model's %s chat template: %v", m.Model.ChatTemplate, err)
		}
		req.Prompt = p
	}
	if req.Prompt == "" {
		return nil, badParam(promptParam, "the prompt is empty")
	}
	if uint64(len(req.Prompt)) > params.MaxPromptBytes {
		return nil, badParam(promptParam, "the prompt is %d bytes, the chain takes at most %d", len(req.Prompt), params.MaxPromptBytes)
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = min(g.cfg.DefaultMaxTokens, params.MaxOutputTokens)
	} else if req.MaxTokens > params.MaxOutputTokens {
		return nil, badParam("max_tokens", "max_tokens %d is above the chain's limit of %d", req.MaxTokens, params.MaxOutputTokens)
	}
	if len(m.Providers) == 0 {
		return nil, unavailable("no active provider serves %q now", req.Model)
	}
	denom := g.cfg.MaxFee.Denom
	units := taskkeeper.PromptTokenBound(req.Prompt) + req.MaxTokens
	price, ok := m.bidPrice(denom, g.cfg.MaxPrice.Amount, g.cfg.MaxFee.Amount, units)
	if !ok {
		lo, _, found := m.prices(denom)
		if !found {
			return nil, unavailable("no active provider of %q charges in %s", req.Model, denom)
		}
		return nil, insufficient("max_fee_exceeded", "the request may use %d tokens (prompt bound + max_tokens); at the cheapest price, %s%s a token, it could cost %s%s, above the gateway's max_fee %s (or its max_price_per_token)",
			units, lo, denom, lo.MulRaw(int64(units)), denom, g.cfg.MaxFee)
	}
	maxFee := sdk.NewCoin(denom, price.Mul(sdkmath.NewIntFromUint64(units)))
	bal, err := g.chain.balance(ctx, denom)
	if err != nil {
		return nil, chainError(err)
	}
	if bal.LT(maxFee.Amount) {
		return nil, insufficient("insufficient_funds", "the request escrows up to %s; %s holds %s%s", maxFee, g.chain.addr, bal, denom)
	}
	h, err := g.budget.reserve(maxFee.Amount)
	if err != nil {
		return nil, insufficient("budget_exceeded", "%v", err)
	}
	msg := &tasktypes.MsgSubmitJob{
		Submitter: g.chain.addr, ModelId: req.Model, Prompt: req.Prompt, MaxOutputTokens: req.MaxTokens,
		Sampling: tasktypes.Sampling{Seed: req.Seed, TemperatureMilli: req.TemperatureMilli, TopK: req.TopK, TopPMilli: req.TopPMilli},
		MaxFee:   maxFee, OutputKey: g.chain.outPub[:], DeadlineBlocks: g.cfg.DeadlineBlocks,
	}
	if err := msg.ValidateBasic(); err != nil {
		_ = g.budget.release(h)
		return nil, badParam("", "the job is not valid: %v", err)
	}
	// The submission outlives the request: once broadcast, the job is followed (and its
	// budget settled) even when the client goes away.
	sub, err := g.chain.submit(g.ctx, msg)
	if err != nil {
		_ = g.budget.release(h)
		return nil, chainError(err)
	}
	if err := g.budget.bind(h, sub.JobID); err != nil {
		g.logf("job %d: budget ledger: %v", sub.JobID, err)
	}
	return &order{req: req, start: start, model: m, msg: msg, sub: sub, t: g.track(sub)}, nil
}

// answer waits for the committed result and returns it whole.
func (g *Gateway) answer(w http.ResponseWriter, r *http.Request, o *order) *apiError {
	f, e := o.waitResult(r.Context())
	if e != nil {
		writeError(w, e)
		return e
	}
	out, e := g.open(f.job)
	if e != nil {
		writeError(w, e)
		return e
	}
	text, stopped := applyStops(out.Text, o.req.Stop)
	g.metrics.firstToken.WithLabelValues("chain").Observe(time.Since(o.start).Seconds())
	g.observeSpeed(o, f.job)
	writeJSON(w, http.StatusOK, g.completion(r.Context(), o, f.job, text, finishReason(f.job, stopped), streamNone))
	return nil
}

// waitResult waits until the job's output is on chain or it ended without one.
func (o *order) waitResult(ctx context.Context) (followed, *apiError) {
	select {
	case f := <-o.t.result:
		o.t.result <- f // keep it for any later reader
		return f, f.err
	case <-ctx.Done():
		return followed{}, newError(499, "client_closed", "", "", "the client went away; job %d goes on", o.sub.JobID)
	}
}

// open decrypts a committed job's output with the user's key.
func (g *Gateway) open(job tasktypes.Job) (tasktypes.SealedPayload, *apiError) {
	out, err := tasktypes.Open(job.SealedOutput, g.chain.outPub, g.chain.outPriv)
	if err != nil {
		return out, newError(502, "api_error", "unreadable_output", "", "job %d: %v", job.Id, err)
	}
	return out, nil
}

func (g *Gateway) observeSpeed(o *order, job tasktypes.Job) {
	if d := time.Since(o.start).Seconds(); d > 0 {
		g.metrics.tokensPerSecond.Observe(float64(job.OutputTokens) / d)
	}
}

// finishReason: "length" when the output used all of max_tokens, else "stop".
func finishReason(job tasktypes.Job, stopped bool) string {
	if !stopped && job.OutputTokens >= job.MaxOutputTokens {
		return "length"
	}
	return "stop"
}

func completionID(kind string, id uint64) string {
	if kind == kindChat {
		return fmt.Sprintf("chatcmpl-sovra-%d", id)
	}
	return fmt.Sprintf("cmpl-sovra-%d", id)
}
