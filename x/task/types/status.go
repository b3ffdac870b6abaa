package types

// IsOpen reports whether a job still holds escrow.
func (s JobStatus) IsOpen() bool {
	switch s {
	case JOB_STATUS_PENDING, JOB_STATUS_ASSIGNED, JOB_STATUS_COMMITTED, JOB_STATUS_AUDITING:
		return true
	}
	return false
}

// OpenStatuses lists the states in which a job holds escrow.
var OpenStatuses = []JobStatus{JOB_STATUS_PENDING, JOB_STATUS_ASSIGNED, JOB_STATUS_COMMITTED, JOB_STATUS_AUDITING}

// ParseJobStatus accepts "settled", "SETTLED" or "JOB_STATUS_SETTLED".
func ParseJobStatus(s string) (JobStatus, bool) {
	for name, v := range JobStatus_value {
		if name == s || name == "JOB_STATUS_"+upper(s) {
			return JobStatus(v), true
		}
	}
	return JOB_STATUS_UNSPECIFIED, false
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
