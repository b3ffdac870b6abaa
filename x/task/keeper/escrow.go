package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	heightpkg "github.com/sovra-network/sovra/x/internal/height"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// PromptTokenBound is the most prompt tokens a prompt of n bytes can produce: every
// token covers at least one byte, plus the begin- and end-of-sequence tokens. The chain
// cannot tokenize, so prices are checked against this bound.
func PromptTokenBound(prompt string) uint64 { return uint64(len(prompt)) + 2 }

// MaxCost is the most a job can cost at a given price per token.
func MaxCost(price math.Int, job types.Job) math.Int {
	units := PromptTokenBound(job.Prompt) + job.MaxOutputTokens
	return price.Mul(math.NewIntFromUint64(units))
}

// Collateral is the part of a provider's bond locked while it holds the job: the
// collateral multiplier (x/verify's param) times the most this provider can charge for
// the job (its price × (prompt bound + max output tokens)). Not the submitter's max_fee:
// that is mostly refunded, and a huge one would let anyone lock a provider's bond for the
// price of a tiny job.
func (k Keeper) Collateral(ctx context.Context, job types.Job, price math.Int) (math.Int, error) {
	m, err := k.collateralMultiplier(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return collateral(job, price, m), nil
}

// collateralMultiplier is x/verify's collateral_multiplier (DefaultCollateralMultiplier
// for a keeper without hooks). The block hook reads it once for all its assignments.
func (k Keeper) collateralMultiplier(ctx context.Context) (uint64, error) {
	if k.hooks == nil {
		return types.DefaultCollateralMultiplier, nil
	}
	return k.hooks.CollateralMultiplier(ctx)
}

func collateral(job types.Job, price math.Int, multiplier uint64) math.Int {
	return MaxCost(price, job).Mul(math.NewIntFromUint64(multiplier))
}

// round is what every assignment of a block shares: the params, the beacon of the height
// and the collateral multiplier, read once.
type round struct {
	params     types.Params
	beacon     []byte
	multiplier uint64
}

// assign draws a provider for a pending job from the round's beacon. It returns false
// when no provider can take the job now, and changes nothing then; waiting tells that the
// job is in the waiting set, which it leaves when assigned.
func (k Keeper) assign(ctx sdk.Context, r round, job types.Job, waiting bool) (bool, error) {
	seed := jobSeed(r.beacon, job.Id)
	var acceptErr error
	var lock math.Int // the accepted provider's collateral
	accept := func(p providertypes.Provider) bool {
		if acceptErr != nil || p.PricePerToken.Denom != job.MaxFee.Denom {
			return false
		}
		maxCost := MaxCost(p.PricePerToken.Amount, job)
		if maxCost.GT(job.MaxFee.Amount) {
			return false
		}
		c := maxCost.Mul(math.NewIntFromUint64(r.multiplier))
		if p.FreeCollateral().LT(c) {
			return false
		}
		// No result is paid without a real chance of audit: another operator must be able
		// to verify this provider's result.
		ok, err := k.canVerify(ctx, job.ModelId, seed, p)
		if err != nil {
			acceptErr = err
		}
		lock = c
		return ok
	}
	p, ok, err := k.provider.DrawProvider(ctx, job.ModelId, seed, accept, r.params.MaxAssignAttempts)
	if err == nil {
		err = acceptErr
	}
	if err != nil || !ok {
		return false, err
	}
	collateral := lock
	operator, err := k.accAddress(p.Operator)
	if err != nil {
		return false, err
	}
	if err := k.provider.LockCollateral(ctx, operator, collateral); err != nil {
		// Capacity or collateral changed since the draw's view; try next block.
		return false, nil
	}
	if waiting {
		if err := k.indexes.stoppedWaiting(ctx, job); err != nil {
			return false, err
		}
	}
	height := ctx.BlockHeight()
	job.Status = types.JOB_STATUS_ASSIGNED
	job.Provider = p.Operator
	job.PricePerToken = p.PricePerToken
	job.Collateral = collateral
	job.AssignHeight = height
	job.DeadlineHeight = heightpkg.Plus(height, job.DeadlineBlocks)
	if err := k.indexes.assigned(ctx, job, operator); err != nil {
		return false, err
	}
	if err := k.saveJob(ctx, job, types.JOB_STATUS_PENDING); err != nil {
		return false, err
	}
	// A block event for each job: kept to what a worker filters on (its provider); the
	// rest of the job is one query away.
	if err := k.emit(ctx, &types.EventJobAssigned{JobId: job.Id, Provider: p.Operator}); err != nil {
		return false, err
	}
	return true, nil
}

// canVerify asks x/verify whether a provider's result could be audited (always true
// for a keeper without audit hooks).
func (k Keeper) canVerify(ctx context.Context, modelID string, seed []byte, p providertypes.Provider) (bool, error) {
	if k.hooks == nil {
		return true, nil
	}
	return k.hooks.CanVerify(ctx, modelID, seed, p)
}

// jobSeed = sha256(beacon || job_id): neither the submitter nor the including proposer
// knows the beacon of the next block.
func jobSeed(beacon []byte, jobID uint64) []byte {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h := sha256.New()
	h.Write(beacon)
	h.Write(id[:])
	return h.Sum(nil)
}

// GetJob returns a job: ErrJobNotFound when there is none, a store error as it is.
func (k Keeper) GetJob(ctx context.Context, id uint64) (types.Job, error) {
	job, found, err := k.findJob(ctx, id)
	if err != nil {
		return types.Job{}, err
	}
	if !found {
		return types.Job{}, errorsmod.Wrapf(types.ErrJobNotFound, "job %d", id)
	}
	return job, nil
}

// FailJob ends an audited job whose provider lost the verdict: the provider is not paid,
// the submitter gets the whole escrow back, and the collateral lock is released (x/verify
// has slashed the bond already). The job ends SLASHED.
func (k Keeper) FailJob(ctx context.Context, job types.Job) error {
	return k.endNow(ctx, func(pay *payouts, retention uint64) error {
		return k.refundAudited(ctx, pay, retention, job, types.JOB_STATUS_SLASHED)
	})
}

// RefundAuditedJob ends an audit that reached no majority: nobody is convicted, the
// provider is not paid, the submitter gets the whole escrow back and the collateral lock is
// released. The job ends FAILED.
func (k Keeper) RefundAuditedJob(ctx context.Context, job types.Job) error {
	return k.endNow(ctx, func(pay *payouts, retention uint64) error {
		return k.refundAudited(ctx, pay, retention, job, types.JOB_STATUS_FAILED)
	})
}

// SettleJob pays the provider for the tokens it produced, refunds the rest of the escrow
// and unlocks the collateral (the job's slot was freed at commit). x/verify calls it after
// a passed audit.
func (k Keeper) SettleJob(ctx context.Context, job types.Job) error {
	return k.endNow(ctx, func(pay *payouts, retention uint64) error {
		return k.settle(ctx, pay, retention, job)
	})
}

// endNow runs one job ending outside a block hook (x/verify's calls, a message) and pays
// what it owes at once.
func (k Keeper) endNow(ctx context.Context, end func(pay *payouts, retention uint64) error) error {
	retention, err := k.RetentionBlocks(ctx)
	if err != nil {
		return err
	}
	var pay payouts
	if err := end(&pay, retention); err != nil {
		return err
	}
	return k.pay(ctx, &pay)
}

// refundCommitted ends a committed job that was drawn for audit when no verifier could
// be drawn: it ends FAILED, refunded in full, its provider unpaid and not convicted.
func (k Keeper) refundCommitted(ctx context.Context, pay *payouts, retention uint64, job types.Job) error {
	if job.Status != types.JOB_STATUS_COMMITTED {
		return errorsmod.Wrapf(types.ErrInvalidTransition, "job %d is %s, cannot refund it unverified", job.Id, job.Status)
	}
	job.Status = types.JOB_STATUS_AUDITING
	if err := k.saveJob(ctx, job, types.JOB_STATUS_COMMITTED); err != nil {
		return err
	}
	return k.refundAudited(ctx, pay, retention, job, types.JOB_STATUS_FAILED)
}

// refundAudited ends an audited job without paying its provider: full refund, collateral
// unlocked (the slot was freed at commit), the job in status (SLASHED or FAILED), one event of that name.
func (k Keeper) refundAudited(ctx context.Context, pay *payouts, retention uint64, job types.Job, status types.JobStatus) error {
	if job.Status != types.JOB_STATUS_AUDITING {
		return errorsmod.Wrapf(types.ErrInvalidTransition, "job %d is %s, cannot end its audit as %s", job.Id, job.Status, status)
	}
	provider, err := k.accAddress(job.Provider)
	if err != nil {
		return err
	}
	if err := k.provider.UnlockCollateral(ctx, provider, job.Collateral); err != nil {
		return err
	}
	if err := k.owe(pay, job, job.MaxFee); err != nil {
		return err
	}
	job.Refunded = job.MaxFee
	job.FeePaid = sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	if err := k.finish(ctx, job, status, retention); err != nil {
		return err
	}
	if status == types.JOB_STATUS_SLASHED {
		return k.emit(ctx, &types.EventJobSlashed{JobId: job.Id, Provider: job.Provider, Refund: job.MaxFee})
	}
	return k.emit(ctx, &types.EventJobFailed{JobId: job.Id, Provider: job.Provider, Refund: job.MaxFee})
}

// RetentionBlocks is how long a terminal job is kept (x/verify keeps audits as long).
func (k Keeper) RetentionBlocks(ctx context.Context) (uint64, error) {
	p, err := k.Params.Get(ctx)
	return p.RetentionBlocks, err
}

// settle ends a committed or audited job: its provider is owed the fee for the tokens it
// produced, the submitter the rest of the escrow, and the collateral is unlocked.
func (k Keeper) settle(ctx context.Context, pay *payouts, retention uint64, job types.Job) error {
	if job.Status != types.JOB_STATUS_COMMITTED && job.Status != types.JOB_STATUS_AUDITING {
		return errorsmod.Wrapf(types.ErrInvalidTransition, "job %d is %s, cannot settle", job.Id, job.Status)
	}
	fee := job.Fee()
	refund := job.MaxFee.Sub(fee)
	provider, err := k.accAddress(job.Provider)
	if err != nil {
		return err
	}
	pay.fee(provider, fee)
	if err := k.owe(pay, job, refund); err != nil {
		return err
	}
	// The slot was freed at commit; the collateral was held until now.
	if err := k.provider.UnlockCollateral(ctx, provider, job.Collateral); err != nil {
		return err
	}
	if err := k.provider.RecordJobDone(ctx, provider); err != nil {
		return err
	}
	job.FeePaid, job.Refunded = fee, refund
	if err := k.finish(ctx, job, types.JOB_STATUS_SETTLED, retention); err != nil {
		return err
	}
	return k.emit(ctx, &types.EventJobSettled{JobId: job.Id, Provider: job.Provider, Fee: fee, Refund: refund})
}

// expire ends a job nobody committed in time: full refund; an assigned provider loses
// its collateral lock and counts a miss.
func (k Keeper) expire(ctx context.Context, pay *payouts, retention uint64, job types.Job) error {
	if job.Status == types.JOB_STATUS_ASSIGNED {
		provider, err := k.accAddress(job.Provider)
		if err != nil {
			return err
		}
		if err := k.provider.ReleaseCollateral(ctx, provider, job.Collateral); err != nil {
			return err
		}
		if err := k.provider.RecordMiss(ctx, provider); err != nil {
			return err
		}
	}
	if err := k.owe(pay, job, job.MaxFee); err != nil {
		return err
	}
	job.Refunded = job.MaxFee
	job.FeePaid = sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	if err := k.finish(ctx, job, types.JOB_STATUS_EXPIRED, retention); err != nil {
		return err
	}
	return k.emit(ctx, &types.EventJobExpired{JobId: job.Id, Provider: job.Provider, Refund: job.MaxFee})
}

// owe adds amount, refunded to the job's submitter, to pay.
func (k Keeper) owe(pay *payouts, job types.Job, amount sdk.Coin) error {
	if !amount.IsPositive() {
		return nil
	}
	submitter, err := k.accAddress(job.Submitter)
	if err != nil {
		return err
	}
	pay.refund(submitter, amount)
	return nil
}

// finish moves a job to a terminal state and schedules its pruning retention blocks later.
func (k Keeper) finish(ctx context.Context, job types.Job, status types.JobStatus, retention uint64) error {
	prev := job.Status
	job.Status = status
	job.EndHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.PruneQueue.Set(ctx, collections.Join(heightpkg.Plus(job.EndHeight, retention), job.Id)); err != nil {
		return err
	}
	return k.saveJob(ctx, job, prev)
}
