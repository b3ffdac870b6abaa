package types

// Event types and attributes; the worker follows job_assigned.
const (
	EventJobSubmitted = "job_submitted"
	EventJobAssigned  = "job_assigned"
	EventJobCommitted = "job_committed"
	EventJobSettled   = "job_settled"
	EventJobSlashed   = "job_slashed"
	EventJobFailed    = "job_failed"
	EventJobExpired   = "job_expired"
	EventJobCancelled = "job_cancelled"
	EventJobAudit     = "job_audit_decision"

	AttrJobID    = "job_id"
	AttrModel    = "model_id"
	AttrProvider = "provider"
	AttrFee      = "fee"
	AttrRefund   = "refund"
	AttrDecision = "decision_height"
	AttrAudited  = "audited"
)
