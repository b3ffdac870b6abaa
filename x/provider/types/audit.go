package types

import "fmt"

// AuditOutcome is what an audit decided about one of its parties (the provider of the
// audited job or one of its verifiers); x/verify reports it through Keeper.RecordAudit,
// which counts it in the provider's audits_passed / audits_failed / audits_missed.
type AuditOutcome int

// Audit outcomes. The zero value is not an outcome, so a forgotten assignment is an error
// rather than a silent pass.
const (
	// AuditPassed: the party was on the side of the verdict.
	AuditPassed AuditOutcome = iota + 1
	// AuditFailed: the party revealed an output hash against the verdict.
	AuditFailed
	// AuditMissed: the party did not commit or reveal in time.
	AuditMissed
)

// IsValid reports whether o is one of AuditPassed, AuditFailed, AuditMissed.
func (o AuditOutcome) IsValid() bool { return o >= AuditPassed && o <= AuditMissed }

func (o AuditOutcome) String() string {
	switch o {
	case AuditPassed:
		return "passed"
	case AuditFailed:
		return "failed"
	case AuditMissed:
		return "missed"
	default:
		return fmt.Sprintf("AuditOutcome(%d)", int(o))
	}
}
