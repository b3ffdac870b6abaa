package types

// Event types and attributes. audit_verifier is emitted once per drawn verifier so that a
// worker can filter on its own provider.
const (
	EventAuditStarted  = "audit_started"
	EventAuditVerifier = "audit_verifier"
	EventAuditReveal   = "audit_reveal_open"
	EventAuditCommit   = "audit_commit_open"
	EventAuditEscalate = "audit_escalated"
	EventAuditVerdict  = "audit_verdict"
	EventPartySlashed  = "audit_party_slashed"

	AttrJobID    = "job_id"
	AttrProvider = "provider"
	AttrVerifier = "verifier"
	AttrRound    = "round"
	AttrDeadline = "deadline"
	AttrVerdict  = "verdict"
	AttrParty    = "party"
	AttrAmount   = "amount"
	AttrReason   = "reason"
	AttrPhase    = "phase"
)
