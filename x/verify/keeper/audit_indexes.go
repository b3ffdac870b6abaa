package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/indexcheck"
	"github.com/sovra-network/sovra/x/verify/types"
)

// auditIndexes owns every entry derived from an audit: the verifier, provider and status
// indexes, the phase queue and the prune queue (declared in keeper.go). Nothing else
// writes them. Each method is named after the change it records and writes only the
// entries that change; derive states once what every audit must have, which CheckIndexes
// rebuilds and compares.
type auditIndexes struct {
	addresses  address.Codec
	byVerifier collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	byProvider collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	byStatus   collections.KeySet[collections.Pair[int32, uint64]]
	phases     collections.KeySet[collections.Pair[int64, uint64]]
	prunes     collections.KeySet[collections.Pair[int64, uint64]]
}

func newAuditIndexes(k Keeper) auditIndexes {
	return auditIndexes{
		addresses:  k.addressCodec,
		byVerifier: k.ByVerifier,
		byProvider: k.ByProvider,
		byStatus:   k.ByStatus,
		phases:     k.PhaseQueue,
		prunes:     k.PruneQueue,
	}
}

// auditEntries are the entries one audit derives.
type auditEntries struct {
	provider  sdk.AccAddress
	verifiers []sdk.AccAddress
	phase     bool // (phase deadline, id) while the audit is open
	pruned    bool // one prune queue entry once it has its verdict (at a height set by x/task's retention then)
}

// derive states the entries an audit must have (its status entry it always has).
func (x auditIndexes) derive(a types.Audit) (auditEntries, error) {
	var e auditEntries
	var err error
	if e.provider, err = x.addresses.StringToBytes(a.Provider); err != nil {
		return e, err
	}
	for _, v := range a.Verifiers {
		addr, err := x.addresses.StringToBytes(v.Operator)
		if err != nil {
			return e, err
		}
		e.verifiers = append(e.verifiers, addr)
	}
	e.phase = a.Status.IsOpen()
	e.pruned = a.Status.IsEnded()
	return e, nil
}

// insert writes every entry of an audit but its prune entry (genesis import, which
// schedules that one with x/task's retention).
func (x auditIndexes) insert(ctx context.Context, a types.Audit) error {
	e, err := x.derive(a)
	if err != nil {
		return err
	}
	if err := x.byStatus.Set(ctx, collections.Join(int32(a.Status), a.JobId)); err != nil {
		return err
	}
	if err := x.byProvider.Set(ctx, collections.Join(e.provider, a.JobId)); err != nil {
		return err
	}
	for _, v := range e.verifiers {
		if err := x.byVerifier.Set(ctx, collections.Join(v, a.JobId)); err != nil {
			return err
		}
	}
	if e.phase {
		return x.phases.Set(ctx, collections.Join(a.PhaseDeadline, a.JobId))
	}
	return nil
}

// opened indexes a new audit of a job by its provider (the audit's provider decoded).
func (x auditIndexes) opened(ctx context.Context, jobID uint64, provider sdk.AccAddress) error {
	return x.byProvider.Set(ctx, collections.Join(provider, jobID))
}

// verifierDrawn indexes an audit by a verifier drawn for it.
func (x auditIndexes) verifierDrawn(ctx context.Context, jobID uint64, verifier sdk.AccAddress) error {
	return x.byVerifier.Set(ctx, collections.Join(verifier, jobID))
}

// statusChanged moves an audit's status entry from prev (UNSPECIFIED: none yet).
func (x auditIndexes) statusChanged(ctx context.Context, a types.Audit, prev types.AuditStatus) error {
	if prev == a.Status {
		return nil
	}
	if prev != types.AUDIT_STATUS_UNSPECIFIED {
		if err := x.byStatus.Remove(ctx, collections.Join(int32(prev), a.JobId)); err != nil {
			return err
		}
	}
	return x.byStatus.Set(ctx, collections.Join(int32(a.Status), a.JobId))
}

// phaseQueued queues the end of an audit's open phase at its deadline.
func (x auditIndexes) phaseQueued(ctx context.Context, a types.Audit) error {
	return x.phases.Set(ctx, collections.Join(a.PhaseDeadline, a.JobId))
}

// phaseEnded takes an audit's phase off the queue at deadline (the entry goes even when
// it no longer matches the audit).
func (x auditIndexes) phaseEnded(ctx context.Context, deadline int64, jobID uint64) error {
	return x.phases.Remove(ctx, collections.Join(deadline, jobID))
}

// pruneQueued schedules the deletion of an ended audit at height.
func (x auditIndexes) pruneQueued(ctx context.Context, height int64, jobID uint64) error {
	return x.prunes.Set(ctx, collections.Join(height, jobID))
}

// pruneTaken removes a prune queue entry the EndBlocker took.
func (x auditIndexes) pruneTaken(ctx context.Context, key collections.Pair[int64, uint64]) error {
	return x.prunes.Remove(ctx, key)
}

// remove deletes the status, provider and verifier entries of an ended audit (its phase
// entry is gone with its verdict, its prune entry with the prune that removes it).
func (x auditIndexes) remove(ctx context.Context, a types.Audit) error {
	e, err := x.derive(a)
	if err != nil {
		return err
	}
	if err := x.byStatus.Remove(ctx, collections.Join(int32(a.Status), a.JobId)); err != nil {
		return err
	}
	if err := x.byProvider.Remove(ctx, collections.Join(e.provider, a.JobId)); err != nil {
		return err
	}
	for _, v := range e.verifiers {
		if err := x.byVerifier.Remove(ctx, collections.Join(v, a.JobId)); err != nil {
			return err
		}
	}
	return nil
}

// check rebuilds the indexes from the audits and compares them with the stored ones; the
// prune queue must hold exactly one entry for each ended audit and none for another.
// O(audits): for invariants and tests.
func (x auditIndexes) check(ctx context.Context, audits collections.Map[uint64, types.Audit]) error {
	var (
		byVerifier, byProvider []collections.Pair[sdk.AccAddress, uint64]
		byStatus               []collections.Pair[int32, uint64]
		phases                 []collections.Pair[int64, uint64]
		ended                  = map[uint64]bool{}
		endedIDs               []uint64
	)
	err := audits.Walk(ctx, nil, func(id uint64, a types.Audit) (bool, error) {
		e, err := x.derive(a)
		if err != nil {
			return true, err
		}
		byStatus = append(byStatus, collections.Join(int32(a.Status), id))
		byProvider = append(byProvider, collections.Join(e.provider, id))
		for _, v := range e.verifiers {
			byVerifier = append(byVerifier, collections.Join(v, id))
		}
		if e.phase {
			phases = append(phases, collections.Join(a.PhaseDeadline, id))
		}
		if e.pruned {
			ended[id] = true
			endedIDs = append(endedIDs, id)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, err := range []error{
		indexcheck.KeySet(ctx, "audits_by_verifier", x.byVerifier, byVerifier),
		indexcheck.KeySet(ctx, "audits_by_provider", x.byProvider, byProvider),
		indexcheck.KeySet(ctx, "audits_by_status", x.byStatus, byStatus),
		indexcheck.KeySet(ctx, "phase_queue", x.phases, phases),
	} {
		if err != nil {
			return err
		}
	}
	queued := map[uint64]bool{}
	err = x.prunes.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		switch id := key.K2(); {
		case queued[id]:
			return true, fmt.Errorf("prune_queue: audit %d is queued twice", id)
		case !ended[id]:
			return true, fmt.Errorf("prune_queue: audit %d is queued at %d without a verdict", id, key.K1())
		default:
			queued[id] = true
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, id := range endedIDs {
		if !queued[id] {
			return fmt.Errorf("prune_queue: ended audit %d is not queued", id)
		}
	}
	return nil
}
