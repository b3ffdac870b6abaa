package gateway

import (
	"context"
	"strconv"
	"strings"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// How the answer's text reached the client, in sovra.stream.
const (
	streamNone     = "none"     // not a streaming request
	streamVerified = "verified" // streamed from the provider; equal to the committed output
	streamFallback = "fallback" // streamed from the committed output: no provider stream
	streamMismatch = "mismatch" // the provider's stream differed from its committed output
)

// usage is OpenAI's token count, from the job's on-chain counts (what the fee is charged on).
type usage struct {
	PromptTokens     uint64 `json:"prompt_tokens"`
	CompletionTokens uint64 `json:"completion_tokens"`
	TotalTokens      uint64 `json:"total_tokens"`
}

func usageOf(job tasktypes.Job) usage {
	return usage{PromptTokens: job.PromptTokens, CompletionTokens: job.OutputTokens, TotalTokens: job.PromptTokens + job.OutputTokens}
}

// sovraInfo is what the chain says of the job behind an answer.
type sovraInfo struct {
	JobID    uint64 `json:"job_id"`
	Status   string `json:"status"`
	Provider string `json:"provider"`
	MaxFee   string `json:"max_fee"`
	// Fee is what the job is charged (price × tokens) when it settles; Refund the rest of
	// the escrow, returned by the chain at settlement (all of it if the job is not paid).
	Fee            string `json:"fee"`
	Refund         string `json:"refund"`
	SubmitTx       string `json:"submit_tx,omitempty"`
	CommitTx       string `json:"commit_tx,omitempty"`
	SubmitHeight   int64  `json:"submit_height"`
	CommitHeight   int64  `json:"commit_height,omitempty"`
	DecisionHeight int64  `json:"decision_height,omitempty"`
	// Audit: pending (decision not taken), auditing, not_audited, passed, failed
	// (provider convicted, escrow refunded) or unresolved (no majority, refunded).
	Audit  string `json:"audit"`
	Seed   string `json:"seed"`
	Stream string `json:"stream,omitempty"`
}

func (g *Gateway) sovraInfo(ctx context.Context, job tasktypes.Job, submitTx, stream string) sovraInfo {
	fee := job.Fee()
	switch job.Status {
	case tasktypes.JOB_STATUS_SETTLED:
		fee = job.FeePaid
	case tasktypes.JOB_STATUS_SLASHED, tasktypes.JOB_STATUS_FAILED, tasktypes.JOB_STATUS_EXPIRED, tasktypes.JOB_STATUS_CANCELLED:
		fee = sdk.NewCoin(job.MaxFee.Denom, sdkmath.ZeroInt())
	}
	info := sovraInfo{
		JobID: job.Id, Status: statusWord(job.Status), Provider: job.Provider, MaxFee: job.MaxFee.String(),
		Fee: fee.String(), Refund: job.MaxFee.Sub(fee).String(), SubmitTx: submitTx,
		SubmitHeight: job.SubmitHeight, CommitHeight: job.CommitHeight, DecisionHeight: job.DecisionHeight,
		Audit: g.auditWord(ctx, job), Seed: strconv.FormatUint(job.Sampling.Seed, 10), Stream: stream,
	}
	if job.CommitHeight > 0 {
		info.CommitTx = g.chain.commitTx(ctx, job.Id)
	}
	return info
}

func statusWord(s tasktypes.JobStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "JOB_STATUS_"))
}

func (g *Gateway) auditWord(ctx context.Context, job tasktypes.Job) string {
	switch job.Status {
	case tasktypes.JOB_STATUS_COMMITTED:
		return "pending"
	case tasktypes.JOB_STATUS_AUDITING:
		return "auditing"
	case tasktypes.JOB_STATUS_SLASHED:
		return "failed"
	case tasktypes.JOB_STATUS_FAILED:
		return "unresolved"
	case tasktypes.JOB_STATUS_SETTLED:
		res, err := verifytypes.NewQueryClient(g.chain.conn()).Audit(ctx, &verifytypes.QueryAuditRequest{JobId: job.Id})
		if err != nil {
			return "not_audited"
		}
		return strings.ToLower(strings.TrimPrefix(res.Audit.Status.String(), "AUDIT_STATUS_"))
	}
	return "none"
}

// completion is a whole (non-streamed) answer in the OpenAI shape of its kind.
func (g *Gateway) completion(ctx context.Context, o *order, job tasktypes.Job, text, finish, stream string) map[string]any {
	choice := map[string]any{"index": 0, "finish_reason": finish, "logprobs": nil}
	object := "text_completion"
	if o.req.Kind == kindChat {
		object = "chat.completion"
		choice["message"] = map[string]any{"role": "assistant", "content": text}
	} else {
		choice["text"] = text
	}
	return map[string]any{
		"id": completionID(o.req.Kind, job.Id), "object": object, "created": o.start.Unix(), "model": job.ModelId,
		"choices": []any{choice}, "usage": usageOf(job), "sovra": g.sovraInfo(ctx, job, o.sub.TxHash, stream),
	}
}
