package types

// Event types and attributes; the worker follows job_assigned.
const (
	EventJobSubmitted = "job_submitted"
	EventJobAssigned  = "job_assigned"
	EventJobCommitted = "job_committed"
	EventJobSettled   = "job_settled"
	EventJobExpired   = "job_expired"
	EventJobCancelled = "job_cancelled"
	EventJobAudit     = "job_audit_decision"

	AttrJobID     = "job_id"
	AttrModel     = "model_id"
	AttrSubmitter = "submitter"
	AttrProvider  = "provider"
	AttrWorker    = "worker"
	AttrDeadline  = "deadline_height"
	AttrFee       = "fee"
	AttrRefund    = "refund"
	AttrMaxFee    = "max_fee"
	AttrDecision  = "decision_height"
	AttrAudited   = "audited"
)
