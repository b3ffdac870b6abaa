package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/indexcheck"
	"github.com/sovra-network/sovra/x/task/types"
)

// jobIndexes owns every entry derived from a job's fields (and, for a pending job,
// whether it was tried: its id is below the assignment cursor): the submitter, provider
// and status indexes, the waiting set and its counts, and the deadline and decision
// queues (declared in keeper.go). Nothing else writes them. The indexes are kept by hand, not by an IndexedMap: an IndexedMap
// rereads the job and deletes and rewrites every index entry on each of the four writes
// of a job's life, and each rewritten key is IAVL work in Commit. Here an entry is
// written when its field changes, by the method named after the change, and derive states
// once what every job must have, which CheckIndexes rebuilds and compares.
//
// The prune queue is not derived from a job (its height depends on the params when the
// job ended): finish keeps it.
type jobIndexes struct {
	addresses   address.Codec
	bySubmitter collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	byProvider  collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	byStatus    collections.KeySet[collections.Pair[int32, uint64]]
	deadlines   collections.KeySet[collections.Pair[int64, uint64]]
	schedule    collections.KeySet[collections.Pair[int64, uint64]]
	decisions   collections.KeySet[collections.Pair[int64, uint64]]
	waiting     collections.KeySet[collections.Triple[string, uint64, uint64]]
	waitCount   collections.Map[string, uint64]
}

func newJobIndexes(k Keeper) jobIndexes {
	return jobIndexes{
		addresses:   k.addressCodec,
		bySubmitter: k.BySubmitter,
		byProvider:  k.ByProvider,
		byStatus:    k.ByStatus,
		deadlines:   k.DeadlineQueue,
		schedule:    k.DecisionSchedule,
		decisions:   k.DecisionQueue,
		waiting:     k.Waiting,
		waitCount:   k.WaitingCount,
	}
}

// unindexedStatus: a job spends a block or a few in these states, and the queues that
// drive them already list their jobs (the cursor range for pending jobs not yet tried,
// the deadline queue for assigned ones), so the status index skips them. A waiting job
// (pending and tried) is in the status index: the jobs query finds the lowest one there.
func unindexedStatus(s types.JobStatus) bool {
	return s == types.JOB_STATUS_PENDING || s == types.JOB_STATUS_ASSIGNED
}

// waitKey orders a model's waiting jobs: highest bid per token first (the key holds its
// complement), then oldest.
func waitKey(job types.Job) collections.Triple[string, uint64, uint64] {
	return collections.Join3(job.ModelId, ^Bid(job), job.Id)
}

// jobEntries are the entries one job derives (nil or unset where it has none).
type jobEntries struct {
	submitter sdk.AccAddress
	provider  sdk.AccAddress // assigned jobs and later
	status    bool           // (status, id) unless assigned or pending and not yet tried
	waiting   bool           // (model, ^bid, id) while pending and tried
	deadline  bool           // (deadline height, id) while assigned or waiting
	schedule  bool           // (commit height + 1, id) while committed, before the decision height is known
	decision  bool           // (decision height, id) while committed, once it is known
}

// derive states the entries a job must have; tried tells whether a pending job was
// tried for assignment (its id is below the cursor), which makes it waiting.
func (x jobIndexes) derive(job types.Job, tried bool) (jobEntries, error) {
	var e jobEntries
	var err error
	if e.submitter, err = x.addresses.StringToBytes(job.Submitter); err != nil {
		return e, err
	}
	if job.Provider != "" {
		if e.provider, err = x.addresses.StringToBytes(job.Provider); err != nil {
			return e, err
		}
	}
	e.waiting = job.Status == types.JOB_STATUS_PENDING && tried
	e.status = !unindexedStatus(job.Status) || e.waiting
	e.deadline = job.Status == types.JOB_STATUS_ASSIGNED || e.waiting
	e.schedule = job.Status == types.JOB_STATUS_COMMITTED && job.DecisionHeight == 0
	e.decision = job.Status == types.JOB_STATUS_COMMITTED && job.DecisionHeight > 0
	return e, nil
}

// insert writes every entry of a job (genesis import); tried as for derive.
func (x jobIndexes) insert(ctx context.Context, job types.Job, tried bool) error {
	e, err := x.derive(job, tried)
	if err != nil {
		return err
	}
	if err := x.bySubmitter.Set(ctx, collections.Join(e.submitter, job.Id)); err != nil {
		return err
	}
	if e.provider != nil {
		if err := x.byProvider.Set(ctx, collections.Join(e.provider, job.Id)); err != nil {
			return err
		}
	}
	if e.status {
		if err := x.byStatus.Set(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
			return err
		}
	}
	if e.waiting {
		return x.startedWaiting(ctx, job)
	}
	switch {
	case e.deadline:
		return x.deadlines.Set(ctx, collections.Join(job.DeadlineHeight, job.Id))
	case e.schedule:
		return x.schedule.Set(ctx, collections.Join(job.CommitHeight+1, job.Id))
	case e.decision:
		return x.decisions.Set(ctx, collections.Join(job.DecisionHeight, job.Id))
	}
	return nil
}

// submitted indexes a new (pending) job by its submitter (job.Submitter decoded).
func (x jobIndexes) submitted(ctx context.Context, job types.Job, submitter sdk.AccAddress) error {
	return x.bySubmitter.Set(ctx, collections.Join(submitter, job.Id))
}

// startedWaiting records a pending job that found no provider when first tried: the
// waiting set and its model's count, the status index, and its deadline.
func (x jobIndexes) startedWaiting(ctx context.Context, job types.Job) error {
	if err := x.waiting.Set(ctx, waitKey(job)); err != nil {
		return err
	}
	n, err := x.waitCount.Get(ctx, job.ModelId)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if err := x.waitCount.Set(ctx, job.ModelId, n+1); err != nil {
		return err
	}
	if err := x.byStatus.Set(ctx, collections.Join(int32(types.JOB_STATUS_PENDING), job.Id)); err != nil {
		return err
	}
	return x.deadlines.Set(ctx, collections.Join(job.DeadlineHeight, job.Id))
}

// stoppedWaiting removes the entries of a waiting job (still as it was while waiting)
// that is being assigned, expired or cancelled.
func (x jobIndexes) stoppedWaiting(ctx context.Context, job types.Job) error {
	if err := x.waiting.Remove(ctx, waitKey(job)); err != nil {
		return err
	}
	n, err := x.waitCount.Get(ctx, job.ModelId)
	if err != nil {
		return err
	}
	if n <= 1 {
		err = x.waitCount.Remove(ctx, job.ModelId)
	} else {
		err = x.waitCount.Set(ctx, job.ModelId, n-1)
	}
	if err != nil {
		return err
	}
	if err := x.byStatus.Remove(ctx, collections.Join(int32(types.JOB_STATUS_PENDING), job.Id)); err != nil {
		return err
	}
	return x.deadlines.Remove(ctx, collections.Join(job.DeadlineHeight, job.Id))
}

// assigned indexes a job just assigned to provider (job.Provider decoded) and queues its
// deadline.
func (x jobIndexes) assigned(ctx context.Context, job types.Job, provider sdk.AccAddress) error {
	if err := x.deadlines.Set(ctx, collections.Join(job.DeadlineHeight, job.Id)); err != nil {
		return err
	}
	return x.byProvider.Set(ctx, collections.Join(provider, job.Id))
}

// committed takes a job whose result was committed at job.CommitHeight off the deadline
// queue and schedules the block that fixes its decision height.
func (x jobIndexes) committed(ctx context.Context, job types.Job) error {
	if err := x.deadlines.Remove(ctx, collections.Join(job.DeadlineHeight, job.Id)); err != nil {
		return err
	}
	return x.schedule.Set(ctx, collections.Join(job.CommitHeight+1, job.Id))
}

// decisionFixed queues the audit decision of a job at its decision height.
func (x jobIndexes) decisionFixed(ctx context.Context, job types.Job) error {
	return x.decisions.Set(ctx, collections.Join(job.DecisionHeight, job.Id))
}

// statusChanged moves a job's status entry from prev to job.Status.
func (x jobIndexes) statusChanged(ctx context.Context, job types.Job, prev types.JobStatus) error {
	if prev == job.Status {
		return nil
	}
	if !unindexedStatus(prev) {
		if err := x.byStatus.Remove(ctx, collections.Join(int32(prev), job.Id)); err != nil {
			return err
		}
	}
	if unindexedStatus(job.Status) {
		return nil
	}
	return x.byStatus.Set(ctx, collections.Join(int32(job.Status), job.Id))
}

// dequeue removes an entry the block hooks took from a queue at height h (the job it
// names may have moved on or gone: the entry goes either way).
func (x jobIndexes) dequeue(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], h int64, id uint64) error {
	return q.Remove(ctx, collections.Join(h, id))
}

// remove deletes every entry of an ended job (the prune queue removes only those, which
// hold no deadline or decision entry).
func (x jobIndexes) remove(ctx context.Context, job types.Job) error {
	e, err := x.derive(job, true)
	if err != nil {
		return err
	}
	if err := x.bySubmitter.Remove(ctx, collections.Join(e.submitter, job.Id)); err != nil {
		return err
	}
	if e.status {
		if err := x.byStatus.Remove(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
			return err
		}
	}
	if e.provider != nil {
		return x.byProvider.Remove(ctx, collections.Join(e.provider, job.Id))
	}
	return nil
}

// jobIndexContents is what the indexes hold, as rebuilt from the jobs.
type jobIndexContents struct {
	bySubmitter, byProvider []collections.Pair[sdk.AccAddress, uint64]
	byStatus                []collections.Pair[int32, uint64]
	deadlines               []collections.Pair[int64, uint64]
	schedule                []collections.Pair[int64, uint64]
	decisions               []collections.Pair[int64, uint64]
	waiting                 []collections.Triple[string, uint64, uint64]
	waitCount               map[string]uint64
}

// rebuild derives the entries of every job, given the assignment cursor (O(jobs): for
// invariants and tests).
func (x jobIndexes) rebuild(ctx context.Context, jobs collections.Map[uint64, types.Job], cursor uint64) (jobIndexContents, error) {
	c := jobIndexContents{waitCount: map[string]uint64{}}
	err := jobs.Walk(ctx, nil, func(id uint64, job types.Job) (bool, error) {
		e, err := x.derive(job, id < cursor)
		if err != nil {
			return true, err
		}
		c.bySubmitter = append(c.bySubmitter, collections.Join(e.submitter, id))
		if e.provider != nil {
			c.byProvider = append(c.byProvider, collections.Join(e.provider, id))
		}
		if e.status {
			c.byStatus = append(c.byStatus, collections.Join(int32(job.Status), id))
		}
		if e.waiting {
			c.waiting = append(c.waiting, waitKey(job))
			c.waitCount[job.ModelId]++
		}
		switch {
		case e.deadline:
			c.deadlines = append(c.deadlines, collections.Join(job.DeadlineHeight, id))
		case e.schedule:
			c.schedule = append(c.schedule, collections.Join(job.CommitHeight+1, id))
		case e.decision:
			c.decisions = append(c.decisions, collections.Join(job.DecisionHeight, id))
		}
		return false, nil
	})
	return c, err
}

// check rebuilds the indexes from the jobs and compares them with the stored ones.
func (x jobIndexes) check(ctx context.Context, jobs collections.Map[uint64, types.Job], cursor uint64) error {
	c, err := x.rebuild(ctx, jobs, cursor)
	if err != nil {
		return err
	}
	counts := make([]indexcheck.Entry[string, uint64], 0, len(c.waitCount))
	for model, n := range c.waitCount {
		counts = append(counts, indexcheck.Entry[string, uint64]{Key: model, Value: n})
	}
	for _, err := range []error{
		indexcheck.KeySet(ctx, "jobs_by_submitter", x.bySubmitter, c.bySubmitter),
		indexcheck.KeySet(ctx, "jobs_by_provider", x.byProvider, c.byProvider),
		indexcheck.KeySet(ctx, "jobs_by_status", x.byStatus, c.byStatus),
		indexcheck.KeySet(ctx, "deadline_queue", x.deadlines, c.deadlines),
		indexcheck.KeySet(ctx, "decision_schedule", x.schedule, c.schedule),
		indexcheck.KeySet(ctx, "decision_queue", x.decisions, c.decisions),
		indexcheck.KeySet(ctx, "waiting", x.waiting, c.waiting),
		indexcheck.Map(ctx, "waiting_count", x.waitCount, counts),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
