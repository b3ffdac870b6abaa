package simulation

import (
	"context"
	"encoding/hex"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/simworld"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/keeper"
	"github.com/sovra-network/sovra/x/verify/types"
)

// Keepers are what the factories read: x/verify's audits, and through x/verify's own
// interfaces the audited jobs, the parties' providers and models, and the rewards params.
type Keepers struct {
	Verify   keeper.Keeper
	Task     types.TaskKeeper
	Provider types.ProviderKeeper
	Rewards  types.RewardsKeeper
}

// maxCandidates bounds the audits a factory collects before it picks one.
const maxCandidates = 256

// Factories read state to build messages that should succeed, and skip with the reason
// when no audit is in the phase they act in (most of the time: audits are a fraction of
// the jobs). They iterate collections only (ordered), never Go maps, so a seed replays
// exactly.

// auditsIn lists up to maxCandidates audits in status whose phase deadline is not past.
func (ks Keepers) auditsIn(ctx context.Context, status types.AuditStatus) ([]types.Audit, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var out []types.Audit
	err := ks.Verify.ByStatus.Walk(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(status)), func(key collections.Pair[int32, uint64]) (bool, error) {
		a, err := ks.Verify.Audits.Get(ctx, key.K2())
		if err != nil {
			return true, err
		}
		if h <= a.PhaseDeadline {
			out = append(out, a)
		}
		return len(out) >= maxCandidates, nil
	})
	return out, err
}

// party is a provider of an audit: its record, its operator's address bytes and its
// worker's sim account (the key the simulated worker signs with).
type party struct {
	p      providertypes.Provider
	op     []byte
	worker simsx.SimAccount
}

func (ks Keepers) party(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, operator string) party {
	op, err := testData.AddressCodec().StringToBytes(operator)
	if err != nil {
		reporter.Skipf("operator %s: %s", operator, err)
		return party{}
	}
	p, err := ks.Provider.GetProvider(ctx, op)
	if err != nil {
		reporter.Skipf("provider %s: %s", operator, err)
		return party{}
	}
	return party{p: p, op: op, worker: testData.GetAccount(reporter, p.Worker)}
}

// jobAndModel returns the audited job and its model's file hash.
func (ks Keepers) jobAndModel(ctx context.Context, reporter simsx.SimulationReporter, jobID uint64) (tasktypes.Job, []byte) {
	job, err := ks.Task.GetJob(ctx, jobID)
	if err != nil {
		reporter.Skipf("job %d: %s", jobID, err)
		return job, nil
	}
	model, err := ks.Provider.GetModel(ctx, job.ModelId)
	if err != nil {
		reporter.Skipf("model %s: %s", job.ModelId, err)
		return job, nil
	}
	sum, err := hex.DecodeString(model.Sha256)
	if err != nil {
		reporter.Skipf("model %s: %s", job.ModelId, err)
		return job, nil
	}
	return job, sum
}

// pick chooses one of the audits in status, or skips saying there is none.
func (ks Keepers) pick(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, status types.AuditStatus,
	keep func(types.Audit) bool,
) (types.Audit, bool) {
	audits, err := ks.auditsIn(ctx, status)
	if err != nil {
		reporter.Skipf("audits: %s", err)
		return types.Audit{}, false
	}
	var kept []types.Audit
	for _, a := range audits {
		if keep == nil || keep(a) {
			kept = append(kept, a)
		}
	}
	if len(kept) == 0 {
		reporter.Skipf("no audit to act on (none in %s)", status)
		return types.Audit{}, false
	}
	return simsx.OneOf(testData.Rand(), kept), true
}

// MsgOpenAuditFactory opens, from the audited provider's worker, its committed output to
// each verifier of the current round: sealed to the verifier's audit key with the key
// derived from the result's salt, as sovra-worker does.
func MsgOpenAuditFactory(ks Keepers) simsx.SimMsgFactoryFn[*types.MsgOpenAudit] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgOpenAudit) {
		a, ok := ks.pick(ctx, testData, reporter, types.AUDIT_STATUS_OPEN, nil)
		if !ok {
			return nil, nil
		}
		prov := ks.party(ctx, testData, reporter, a.Provider)
		job, sum := ks.jobAndModel(ctx, reporter, a.JobId)
		if reporter.IsSkipped() {
			return nil, nil
		}
		o := simworld.Opening(job, a.Provider, sum)
		msg := &types.MsgOpenAudit{Signer: prov.worker.AddressBech32, JobId: a.JobId}
		for _, v := range a.Verifiers {
			if v.Round != a.Round {
				continue
			}
			vOp, err := testData.AddressCodec().StringToBytes(v.Operator)
			if err != nil {
				reporter.Skipf("verifier %s: %s", v.Operator, err)
				return nil, nil
			}
			var sealed []byte
			if vp, err := ks.Provider.GetProvider(ctx, vOp); err == nil {
				sealed, err = types.SealOpening(vp.AuditKey, o, types.DeriveOpeningKey(o.Salt, job.Id, a.Round, vOp))
				if err != nil {
					sealed = nil
				}
			}
			if sealed == nil { // the verifier left: any bytes do, nobody opens them
				t := simworld.Tag("sim/opening", job.Id, vOp)
				sealed = t[:]
			}
			msg.Openings = append(msg.Openings, types.AuditOpening{Verifier: v.Operator, Sealed: sealed})
		}
		return []simsx.SimAccount{prov.worker}, msg
	}
}

// MsgCommitVerificationFactory has a verifier of the current round, from its worker,
// open what the provider sealed to it: when it is the committed result (the opening
// matches the job's commitment), commit to its re-scoring (simworld.Verification, with
// the round's challenge values); otherwise complain.
func MsgCommitVerificationFactory(ks Keepers) simsx.SimMsgFactoryFn[*types.MsgCommitVerification] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitVerification) {
		pending := func(a types.Audit) []types.Verifier {
			var out []types.Verifier
			for _, v := range a.Verifiers {
				if v.Round == a.Round && len(v.Commitment) == 0 && !v.Complained {
					out = append(out, v)
				}
			}
			return out
		}
		a, ok := ks.pick(ctx, testData, reporter, types.AUDIT_STATUS_COMMIT, func(a types.Audit) bool { return len(pending(a)) > 0 })
		if !ok {
			return nil, nil
		}
		v := simsx.OneOf(testData.Rand(), pending(a))
		ver := ks.party(ctx, testData, reporter, v.Operator)
		job, sum := ks.jobAndModel(ctx, reporter, a.JobId)
		if reporter.IsSkipped() {
			return nil, nil
		}
		msg := &types.MsgCommitVerification{Signer: ver.worker.AddressBech32, JobId: a.JobId}
		priv, pub := simworld.AuditKey(ver.op)
		if o, err := types.OpenOpening(v.Opening, pub, priv); err != nil || !o.Matches(job, sum) {
			msg.Complaint = true
			return []simsx.SimAccount{ver.worker}, msg
		}
		hash, trace, salt := simworld.Verification(job, a.Provider, sum, ver.op, a.ChallengeSeeds[a.Round-1])
		msg.Commitment = types.VerifierCommitment(hash[:], trace.Hash(), salt, ver.op)
		return []simsx.SimAccount{ver.worker}, msg
	}
}

// MsgRevealFactory reveals, in the reveal phase, the provider's result commitment or a
// committed verifier's re-scoring, from that party's worker.
func MsgRevealFactory(ks Keepers) simsx.SimMsgFactoryFn[*types.MsgReveal] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgReveal) {
		// "" stands for the provider.
		toReveal := func(a types.Audit) []string {
			var out []string
			if !a.ProviderRevealed {
				out = append(out, "")
			}
			for _, v := range a.Verifiers {
				if v.Round == a.Round && len(v.Commitment) > 0 && !v.Revealed {
					out = append(out, v.Operator)
				}
			}
			return out
		}
		a, ok := ks.pick(ctx, testData, reporter, types.AUDIT_STATUS_REVEAL, func(a types.Audit) bool { return len(toReveal(a)) > 0 })
		if !ok {
			return nil, nil
		}
		who := simsx.OneOf(testData.Rand(), toReveal(a))
		job, sum := ks.jobAndModel(ctx, reporter, a.JobId)
		if who == "" {
			prov := ks.party(ctx, testData, reporter, a.Provider)
			if reporter.IsSkipped() {
				return nil, nil
			}
			pc := simworld.ProviderCommit(job, a.Provider, sum)
			return []simsx.SimAccount{prov.worker}, &types.MsgReveal{
				Signer: prov.worker.AddressBech32, JobId: a.JobId, OutputHash: pc.Hash[:], Salt: pc.Salt, Trace: pc.Trace,
			}
		}
		ver := ks.party(ctx, testData, reporter, who)
		if reporter.IsSkipped() {
			return nil, nil
		}
		hash, trace, salt := simworld.Verification(job, a.Provider, sum, ver.op, a.ChallengeSeeds[a.Round-1])
		return []simsx.SimAccount{ver.worker}, &types.MsgReveal{
			Signer: ver.worker.AddressBech32, JobId: a.JobId, OutputHash: hash[:], Salt: salt, Trace: trace,
		}
	}
}

// MsgDiscloseOpeningFactory has the audited provider disclose, in the reveal phase, the
// opening key of every verifier of the round that complained, so that the chain can
// decrypt and judge those openings.
func MsgDiscloseOpeningFactory(ks Keepers) simsx.SimMsgFactoryFn[*types.MsgDiscloseOpening] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDiscloseOpening) {
		undisclosed := func(a types.Audit) []types.Verifier {
			var out []types.Verifier
			for _, v := range a.Verifiers {
				if v.Round == a.Round && v.Complained && len(v.OpeningKey) == 0 {
					out = append(out, v)
				}
			}
			return out
		}
		a, ok := ks.pick(ctx, testData, reporter, types.AUDIT_STATUS_REVEAL, func(a types.Audit) bool { return len(undisclosed(a)) > 0 })
		if !ok {
			return nil, nil
		}
		prov := ks.party(ctx, testData, reporter, a.Provider)
		job, sum := ks.jobAndModel(ctx, reporter, a.JobId)
		if reporter.IsSkipped() {
			return nil, nil
		}
		salt := simworld.ProviderCommit(job, a.Provider, sum).Salt
		msg := &types.MsgDiscloseOpening{Signer: prov.worker.AddressBech32, JobId: a.JobId}
		for _, v := range undisclosed(a) {
			vOp, err := testData.AddressCodec().StringToBytes(v.Operator)
			if err != nil {
				reporter.Skipf("verifier %s: %s", v.Operator, err)
				return nil, nil
			}
			key := types.DeriveOpeningKey(salt, job.Id, a.Round, vOp)
			msg.Keys = append(msg.Keys, types.OpeningKey{Verifier: v.Operator, Key: key[:]})
		}
		return []simsx.SimAccount{prov.worker}, msg
	}
}

// MsgUpdateParamsFactory proposes random valid params that the current verification share
// pays for (a governance proposal's message).
func MsgUpdateParamsFactory(ks Keepers) simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		rp, err := ks.Rewards.GetParams(ctx)
		if err != nil {
			reporter.Skipf("rewards params: %s", err)
			return nil, nil
		}
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    RandomParams(testData.Rand().Rand, rp.VerificationShare),
		}
	}
}

// SubstituteResult reports whether the simulated provider operator committed a
// substitute model's output for job (x/internal/simworld), which an audit should convict;
// every other simulated result is honest.
func SubstituteResult(operator string, jobID uint64) bool { return simworld.CheatsOn(operator, jobID) }
