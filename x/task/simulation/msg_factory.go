package simulation

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/simworld"
	providerkeeper "github.com/sovra-network/sovra/x/provider/keeper"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// Factories read state to build messages that should succeed, and skip with the reason
// when there is nothing to act on. They iterate collections only (ordered), never Go
// maps, so a seed replays exactly.

// maxCandidates bounds the jobs a factory collects before it picks one.
const maxCandidates = 256

// MsgSubmitJobFactory buys inference on a model some provider serves: a prompt within
// max_prompt_bytes, at most 64 output tokens, greedy or sampled, a max fee between what
// the cheapest provider charges and three times that, sealed to the submitter's simulated
// output key (x/internal/simworld).
func MsgSubmitJobFactory(k keeper.Keeper, pk providerkeeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgSubmitJob] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSubmitJob) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		denom, err := pk.BondDenom(ctx)
		if err != nil {
			reporter.Skipf("bond denom: %s", err)
			return nil, nil
		}
		var served []providertypes.Model
		var prices []math.Int
		err = pk.Models.Walk(ctx, nil, func(id string, m providertypes.Model) (bool, error) {
			price, ok, err := pk.MinPrice(ctx, id)
			if ok {
				served, prices = append(served, m), append(prices, price)
			}
			return false, err
		})
		if err != nil {
			reporter.Skipf("models: %s", err)
			return nil, nil
		}
		if len(served) == 0 {
			reporter.Skip("no model has an active provider")
			return nil, nil
		}
		r := testData.Rand()
		i := r.Intn(len(served))
		model, minPrice := served[i], prices[i]
		prompt := r.StringN(1 + r.Intn(int(min(params.MaxPromptBytes, 200))))                   //nolint:gosec // G115: at most 200
		maxOut := uint64(1 + r.Intn(int(min(params.MaxOutputTokens, model.ContextLength, 64)))) //nolint:gosec // G115: at most 64
		need := keeper.MaxCost(minPrice, types.Job{Prompt: prompt, MaxOutputTokens: maxOut})
		maxFee := sdk.NewCoin(denom, need.Add(r.Amount(need.MulRaw(2))))
		submitter := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(maxFee))
		if reporter.IsSkipped() || !submitter.LiquidBalance().BlockAmount(maxFee) {
			reporter.Skip("no account can pay the max fee")
			return nil, nil
		}
		_, outputKey := simworld.OutputKey(submitter.Address)
		msg := &types.MsgSubmitJob{
			Submitter:       submitter.AddressBech32,
			ModelId:         model.Id,
			Prompt:          prompt,
			MaxOutputTokens: maxOut,
			MaxFee:          maxFee,
			OutputKey:       slices.Clone(outputKey[:]),
		}
		if r.Intn(2) == 0 {
			msg.Sampling = types.Sampling{
				Seed: r.Uint64(), TemperatureMilli: uint32(1 + r.Intn(types.MaxTemperatureMilli)), //nolint:gosec // G115: small positive
				TopK: uint32(r.Intn(100)), TopPMilli: uint32(r.Intn(types.MaxTopPMilli + 1)), //nolint:gosec // G115: small
			}
		}
		if r.Intn(2) == 0 {
			msg.DeadlineBlocks = uint64(1 + r.Int63n(int64(params.MaxDeadlineBlocks))) //nolint:gosec // G115: a param bounded by validation
		}
		return []simsx.SimAccount{submitter}, msg
	}
}

// assignedJobs lists up to maxCandidates jobs that are ASSIGNED and whose deadline is not
// past at height h, in deadline order.
func assignedJobs(ctx context.Context, k keeper.Keeper, h int64) ([]types.Job, error) {
	var out []types.Job
	err := k.DeadlineQueue.Walk(ctx, new(collections.Range[collections.Pair[int64, uint64]]).StartInclusive(collections.Join(h, uint64(0))),
		func(key collections.Pair[int64, uint64]) (bool, error) {
			j, err := k.GetJob(ctx, key.K2())
			if err != nil {
				return true, err
			}
			if j.Status == types.JOB_STATUS_ASSIGNED {
				out = append(out, j)
			}
			return len(out) >= maxCandidates, nil
		})
	return out, err
}

// MsgCommitResultFactory commits, from a provider's worker, the results of one to
// max_results_per_commit of the provider's assigned jobs, as simworld computes them (an
// honest output, or a substitute's for a cheating provider).
func MsgCommitResultFactory(k keeper.Keeper, pk providerkeeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCommitResult] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitResult) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		jobs, err := assignedJobs(ctx, k, sdk.UnwrapSDKContext(ctx).BlockHeight())
		if err != nil {
			reporter.Skipf("assigned jobs: %s", err)
			return nil, nil
		}
		if len(jobs) == 0 {
			reporter.Skip("no assigned job to commit")
			return nil, nil
		}
		r := testData.Rand()
		first := simsx.OneOf(r, jobs)
		op, err := testData.AddressCodec().StringToBytes(first.Provider)
		if err != nil {
			reporter.Skipf("provider %s: %s", first.Provider, err)
			return nil, nil
		}
		p, err := pk.GetProvider(ctx, op)
		if err != nil {
			reporter.Skipf("provider %s: %s", first.Provider, err)
			return nil, nil
		}
		worker := testData.GetAccount(reporter, p.Worker)
		if reporter.IsSkipped() {
			return nil, nil
		}
		batch := []types.Job{first}
		for _, j := range jobs {
			if len(batch) >= 1+r.Intn(int(params.MaxResultsPerCommit)) {
				break
			}
			if j.Provider == first.Provider && j.Id != first.Id {
				batch = append(batch, j)
			}
		}
		msg := &types.MsgCommitResult{Worker: p.Worker}
		for _, j := range batch {
			model, err := pk.GetModel(ctx, j.ModelId)
			if err != nil {
				reporter.Skipf("model %s: %s", j.ModelId, err)
				return nil, nil
			}
			sum, err := hex.DecodeString(model.Sha256)
			if err != nil {
				reporter.Skipf("model %s: %s", j.ModelId, err)
				return nil, nil
			}
			res, err := simworld.Result(j, p.Operator, sum)
			if err != nil {
				reporter.Skipf("result of job %d: %s", j.Id, err)
				return nil, nil
			}
			if uint64(len(res.SealedOutput)) > params.MaxSealedOutputBytes {
				continue // too large for the current params: the job will expire
			}
			msg.Results = append(msg.Results, res)
		}
		if len(msg.Results) == 0 {
			reporter.Skip("every sealed output is above max_sealed_output_bytes")
			return nil, nil
		}
		return []simsx.SimAccount{worker}, msg
	}
}

// MsgCancelJobFactory cancels, from its submitter, a job no provider took yet: waiting
// for one, or submitted in this block.
func MsgCancelJobFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCancelJob] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCancelJob) {
		var pending []types.Job
		add := func(id uint64) error {
			j, err := k.GetJob(ctx, id)
			if errors.Is(err, types.ErrJobNotFound) {
				return nil // pruned since it was queued
			}
			if err == nil && j.Status == types.JOB_STATUS_PENDING && len(pending) < maxCandidates {
				pending = append(pending, j)
			}
			return err
		}
		// Waiting jobs are in the deadline queue; jobs submitted in this block are past
		// the assignment cursor.
		err := k.DeadlineQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
			return len(pending) >= maxCandidates, add(key.K2())
		})
		if err == nil {
			var cursor, next uint64
			if cursor, err = k.AssignCursor.Peek(ctx); err == nil {
				if next, err = k.NextJobID.Peek(ctx); err == nil {
					for id := max(cursor, 1); id < next && err == nil && len(pending) < maxCandidates; id++ {
						err = add(id)
					}
				}
			}
		}
		if err != nil {
			reporter.Skipf("pending jobs: %s", err)
			return nil, nil
		}
		if len(pending) == 0 {
			reporter.Skip("no pending job to cancel")
			return nil, nil
		}
		j := simsx.OneOf(testData.Rand(), pending)
		submitter := testData.GetAccount(reporter, j.Submitter)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{submitter}, &types.MsgCancelJob{Submitter: j.Submitter, JobId: j.Id}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance proposal's message).
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    RandomParams(testData.Rand().Rand),
		}
	}
}
