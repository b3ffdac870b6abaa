package gateway

import (
	"net/http"
	"strconv"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// handleJob answers GET /v1/sovra/jobs/{id}: a job of the gateway's key, its output once
// committed (decrypted here), and where it stands on chain (fee, refund, audit).
func (g *Gateway) handleJob(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, badParam("id", "job id %q must be a positive integer", r.PathValue("id")))
		return
	}
	job, err := g.chain.node.Job(r.Context(), id)
	if err != nil {
		if isConnError(err) {
			writeError(w, chainError(err))
			return
		}
		writeError(w, newError(http.StatusNotFound, "invalid_request_error", "job_not_found", "id", "job %d: %v", id, err))
		return
	}
	if job.Submitter != g.chain.addr {
		writeError(w, newError(http.StatusNotFound, "invalid_request_error", "job_not_found", "id",
			"job %d was not submitted by this gateway's key %s: its output is sealed to its submitter", id, g.chain.addr))
		return
	}
	res := map[string]any{
		"id": id, "object": "sovra.job", "model": job.ModelId, "status": statusWord(job.Status),
		"sovra": g.sovraInfo(r.Context(), job, "", ""),
	}
	if len(job.SealedOutput) > 0 {
		out, e := g.open(job)
		if e != nil {
			writeError(w, e)
			return
		}
		res["output"] = map[string]any{
			"text": string(out.Text), "output_tokens": out.OutputTokens, "finish_reason": finishReason(job, false),
		}
		res["usage"] = usageOf(job)
	}
	if job.Status == tasktypes.JOB_STATUS_EXPIRED {
		res["error"] = newError(http.StatusGatewayTimeout, "timeout", "job_expired", "", "the job was not served before its deadline; its escrow was refunded")
	}
	writeJSON(w, http.StatusOK, res)
}
