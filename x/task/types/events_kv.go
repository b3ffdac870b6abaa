package types

import (
	"cosmossdk.io/core/event"

	te "github.com/sovra-network/sovra/internal/typedevent"
)

// KVEvent is a typed event that writes its own ABCI attributes, exactly as
// sdk.TypedEventToEvent would (internal/typedevent's encoders, keys sorted): the keeper
// emits the events of a job's every step this way (event.Manager.EmitKV), since the SDK's
// reflection through JSON and back cost about 10 µs an event. TestKVMatchesTypedEvent
// holds every implementation to the SDK's output.
type KVEvent interface {
	// EventType is the event's full proto name, the ABCI event type.
	EventType() string
	// KV is the event's attributes in key order.
	KV() []event.Attribute
}

var (
	_ KVEvent = (*EventJobSubmitted)(nil)
	_ KVEvent = (*EventJobAssigned)(nil)
	_ KVEvent = (*EventJobCommitted)(nil)
	_ KVEvent = (*EventJobAuditDecision)(nil)
	_ KVEvent = (*EventJobSettled)(nil)
	_ KVEvent = (*EventJobExpired)(nil)
)

func (*EventJobSubmitted) EventType() string { return "sovra.task.v1.EventJobSubmitted" }

func (e *EventJobSubmitted) KV() []event.Attribute {
	return []event.Attribute{te.Attr("job_id", te.Uint64(e.JobId)), te.Attr("model_id", te.String(e.ModelId))}
}

func (*EventJobAssigned) EventType() string { return "sovra.task.v1.EventJobAssigned" }

func (e *EventJobAssigned) KV() []event.Attribute {
	return []event.Attribute{te.Attr("job_id", te.Uint64(e.JobId)), te.Attr("provider", te.String(e.Provider))}
}

func (*EventJobCommitted) EventType() string { return "sovra.task.v1.EventJobCommitted" }

func (e *EventJobCommitted) KV() []event.Attribute {
	return []event.Attribute{te.Attr("job_id", te.Uint64(e.JobId)), te.Attr("provider", te.String(e.Provider))}
}

func (*EventJobAuditDecision) EventType() string { return "sovra.task.v1.EventJobAuditDecision" }

func (e *EventJobAuditDecision) KV() []event.Attribute {
	return []event.Attribute{te.Attr("audited", te.Bool(e.Audited)), te.Attr("job_id", te.Uint64(e.JobId))}
}

func (*EventJobSettled) EventType() string { return "sovra.task.v1.EventJobSettled" }

func (e *EventJobSettled) KV() []event.Attribute {
	return []event.Attribute{
		te.Attr("fee", te.Coin(e.Fee)), te.Attr("job_id", te.Uint64(e.JobId)),
		te.Attr("provider", te.String(e.Provider)), te.Attr("refund", te.Coin(e.Refund)),
	}
}

func (*EventJobExpired) EventType() string { return "sovra.task.v1.EventJobExpired" }

func (e *EventJobExpired) KV() []event.Attribute {
	return []event.Attribute{
		te.Attr("job_id", te.Uint64(e.JobId)), te.Attr("provider", te.String(e.Provider)), te.Attr("refund", te.Coin(e.Refund)),
	}
}
