package types

// IsOpen reports whether an audit with this status still waits for a phase to end.
func (s AuditStatus) IsOpen() bool {
	switch s {
	case AUDIT_STATUS_OPEN, AUDIT_STATUS_COMMIT, AUDIT_STATUS_REVEAL, AUDIT_STATUS_ESCALATING:
		return true
	}
	return false
}

// IsEnded reports whether an audit has its verdict.
func (s AuditStatus) IsEnded() bool {
	return s == AUDIT_STATUS_PASSED || s == AUDIT_STATUS_FAILED || s == AUDIT_STATUS_UNDECIDED
}
