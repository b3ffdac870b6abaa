package types

import (
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/internal/typedevent"
)

// ParseEvents decodes the x/verify events (the Event messages of events.proto) among
// events, a block's or a transaction's, in order; other events are skipped.
func ParseEvents(events []abci.Event) ([]proto.Message, error) {
	return typedevent.Parse(events, "sovra.verify.v1")
}

// AuditParties returns the addresses that the audit events among events call to act, in
// order: the audited provider of EventAuditStarted (it opens the output to the verifiers),
// EventAuditRevealOpen (it reveals) and EventAuditEscalated (it opens again), and the
// verifier of EventAuditVerifier (it re-scores and commits). EventAuditCommitOpen calls
// on the verifiers already named by EventAuditVerifier.
func AuditParties(events []abci.Event) ([]string, error) {
	evs, err := ParseEvents(events)
	if err != nil {
		return nil, err
	}
	var parties []string
	for _, e := range evs {
		switch e := e.(type) {
		case *EventAuditStarted:
			parties = append(parties, e.Provider)
		case *EventAuditVerifier:
			parties = append(parties, e.Verifier)
		case *EventAuditRevealOpen:
			parties = append(parties, e.Provider)
		case *EventAuditEscalated:
			parties = append(parties, e.Provider)
		}
	}
	return parties, nil
}
