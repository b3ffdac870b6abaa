package worker

// Unit tests of the worker's audit steps on the fakes of fakes_unit_test.go: as the audited
// provider (open, reveal, disclose) and as a drawn verifier (commit, reveal, complaint), and
// the order of one poll's transactions.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// As the audited provider, the worker opens its persisted claimed output to each verifier
// of the round (sealed to the verifier's audit key), then reveals its hash, trace and salt
// and discloses the key of every opening a verifier complained about.
func TestUnitAuditAsProvider(t *testing.T) {
	r := newUnitRig(t)
	r.assign(1, "audit my job", 5)
	r.tick()
	job := r.chain.job(1)
	require.Equal(t, tasktypes.JOB_STATUS_COMMITTED, job.Status)
	v1, v2 := r.verifiers[0], r.verifiers[1]
	audit := verifytypes.Audit{
		JobId: 1, Provider: r.provider, ModelId: fakeModel, Status: verifytypes.AUDIT_STATUS_OPEN, Round: 1,
		Verifiers: []verifytypes.Verifier{{Operator: v1.operator, Round: 1}, {Operator: v2.operator, Round: 1}},
	}
	r.chain.putAudit(audit)
	n := len(r.txsAfterStart())

	r.tick()
	txs := r.txsAfterStart()[n:]
	require.Len(t, txs, 1)
	require.Len(t, txs[0].msgs, 1)
	open, ok := txs[0].msgs[0].(*verifytypes.MsgOpenAudit)
	require.True(t, ok, "%T", txs[0].msgs[0])
	require.Equal(t, r.sender.addr, open.Signer)
	require.Equal(t, uint64(1), open.JobId)
	require.Len(t, open.Openings, 2)
	for i, v := range []fakeParty{v1, v2} {
		require.Equal(t, v.operator, open.Openings[i].Verifier)
		o, err := verifytypes.OpenOpening(open.Openings[i].Sealed, v.pub, v.priv)
		require.NoError(t, err, "sealed to %s's audit key", v.operator)
		require.True(t, o.Matches(job, r.modelHash), "the opening opens the job's commitment")
	}
	require.Equal(t, 1.0, counterValue(r.w.metrics.Audits.WithLabelValues("open")))

	// Reveal phase; verifier 1 complained about its opening.
	audit.Status = verifytypes.AUDIT_STATUS_REVEAL
	audit.Verifiers[0].Complained = true
	r.chain.putAudit(audit)
	r.tick()
	txs = r.txsAfterStart()[n:]
	require.Len(t, txs, 2)
	require.Len(t, txs[1].msgs, 2, "the reveal and the disclosure in one transaction")
	reveal, ok := txs[1].msgs[0].(*verifytypes.MsgReveal)
	require.True(t, ok, "%T", txs[1].msgs[0])
	require.Equal(t, r.sender.addr, reveal.Signer)
	require.Equal(t, tasktypes.Commitment([32]byte(reveal.OutputHash), reveal.Trace.Hash(), reveal.Salt), job.Commitment)
	disclose, ok := txs[1].msgs[1].(*verifytypes.MsgDiscloseOpening)
	require.True(t, ok, "%T", txs[1].msgs[1])
	require.Len(t, disclose.Keys, 1)
	require.Equal(t, v1.operator, disclose.Keys[0].Verifier)
	o, err := verifytypes.OpenDisclosed(open.Openings[0].Sealed, v1.pub[:], disclose.Keys[0].Key)
	require.NoError(t, err, "the chain opens the complained-about opening with the disclosed key")
	require.True(t, o.Matches(job, r.modelHash))

	// Revealed and disclosed: nothing more is owed.
	audit.ProviderRevealed = true
	audit.Verifiers[0].OpeningKey = disclose.Keys[0].Key
	r.chain.putAudit(audit)
	r.tick()
	require.Len(t, r.txsAfterStart()[n:], 2)

	// An escalation round: only its own verifiers get openings.
	audit.Status, audit.Round, audit.ProviderRevealed = verifytypes.AUDIT_STATUS_OPEN, 2, false
	audit.Verifiers = append(audit.Verifiers, verifytypes.Verifier{Operator: v2.operator, Round: 2})
	r.chain.putAudit(audit)
	r.tick()
	txs = r.txsAfterStart()[n:]
	require.Len(t, txs, 3)
	open2 := txs[2].msgs[0].(*verifytypes.MsgOpenAudit)
	require.Len(t, open2.Openings, 1)
	require.Equal(t, v2.operator, open2.Openings[0].Verifier)
}

// verifierCase is a job of another provider, committed honestly, and an audit in its
// commit phase where the worker is drawn with an opening sealed to its audit key.
type verifierCase struct {
	job     tasktypes.Job
	claimed tasktypes.Claimed
	hash    [32]byte
	audit   verifytypes.Audit
	seed    []byte
	me      sdk.AccAddress
}

func (r *unitRig) verifierCase(id uint64, opening func(o verifytypes.Opening, salt []byte) []byte) verifierCase {
	r.t.Helper()
	other := fakeAddr("other provider")
	job := r.assignTo(other, id, "verify me", 5)
	out := fakeOutput(jobRequest(job))
	claimed := tasktypes.Claimed{PromptTokens: fakeTokens(job.Prompt), OutputTokens: out, StopToken: tasktypes.NoStopToken}
	th := fakeTrace(out, nil).Hash()
	res, hash, salt, err := tasktypes.BuildResult(job, hex.EncodeToString(r.modelHash), claimed, nil, th, nil)
	require.NoError(r.t, err)
	job.Status, job.Commitment = tasktypes.JOB_STATUS_COMMITTED, res.Commitment
	r.chain.putJob(job)
	me := sdk.MustAccAddressFromBech32(r.provider)
	o := verifytypes.Opening{Claimed: claimed, Salt: salt, TraceHash: th[:]}
	if opening == nil {
		opening = func(o verifytypes.Opening, salt []byte) []byte {
			sealed, err := verifytypes.SealOpening(r.sender.pub[:], o, verifytypes.DeriveOpeningKey(salt, id, 1, me))
			require.NoError(r.t, err)
			return sealed
		}
	}
	seed := sha256.Sum256([]byte("challenge"))
	a := verifytypes.Audit{
		JobId: id, Provider: other, ModelId: fakeModel, Status: verifytypes.AUDIT_STATUS_COMMIT, Round: 1,
		ChallengeSeeds: [][]byte{seed[:]},
		Verifiers: []verifytypes.Verifier{
			{Operator: r.provider, Round: 1, Opening: opening(o, salt)},
			{Operator: r.verifiers[0].operator, Round: 1},
		},
	}
	r.chain.putAudit(a)
	return verifierCase{job: job, claimed: claimed, hash: hash, audit: a, seed: seed[:], me: me}
}

// As a drawn verifier, the worker opens its opening, re-scores the claimed tokens with the
// round's challenge, persists its verification, commits to it, then reveals it.
func TestUnitAuditAsVerifier(t *testing.T) {
	r := newUnitRig(t)
	c := r.verifierCase(7, nil)
	n := len(r.txsAfterStart())

	r.tick()
	txs := r.txsAfterStart()[n:]
	require.Len(t, txs, 1)
	commit, ok := txs[0].msgs[0].(*verifytypes.MsgCommitVerification)
	require.True(t, ok, "%T", txs[0].msgs[0])
	rec, err := r.w.verifications.Get(7)
	require.NoError(t, err)
	require.Equal(t, store.StatusCommitted, rec.Status)
	require.Equal(t, txs[0].result.Hash, rec.TxHash)
	require.Equal(t, uint32(1), rec.Round)
	require.Equal(t, hex.EncodeToString(c.hash[:]), rec.OutputHash, "the honest output hash")
	trace := fakeTrace(c.claimed.Scored(), c.seed)
	require.Equal(t, trace, *rec.Trace, "re-scored with the round's challenge")
	salt, err := hex.DecodeString(rec.Salt)
	require.NoError(t, err)
	require.Equal(t, &verifytypes.MsgCommitVerification{
		Signer: r.sender.addr, JobId: 7,
		Commitment: verifytypes.VerifierCommitment(c.hash[:], trace.Hash(), salt, c.me),
	}, commit)
	require.Equal(t, 1.0, counterValue(r.w.metrics.Audits.WithLabelValues("commit")))

	// Committed: nothing more in this phase.
	c.audit.Verifiers[0].Commitment = commit.Commitment
	r.chain.putAudit(c.audit)
	r.tick()
	require.Len(t, r.txsAfterStart()[n:], 1)

	// Reveal phase: the persisted hash, salt and trace.
	c.audit.Status = verifytypes.AUDIT_STATUS_REVEAL
	r.chain.putAudit(c.audit)
	r.tick()
	txs = r.txsAfterStart()[n:]
	require.Len(t, txs, 2)
	require.Equal(t, &verifytypes.MsgReveal{Signer: r.sender.addr, JobId: 7, OutputHash: c.hash[:], Salt: salt, Trace: trace}, txs[1].msgs[0])
	rec, err = r.w.verifications.Get(7)
	require.NoError(t, err)
	require.Equal(t, store.StatusRevealed, rec.Status)
	require.Equal(t, txs[1].result.Hash, rec.RevealTx)

	c.audit.Verifiers[0].Revealed = true
	r.chain.putAudit(c.audit)
	r.tick()
	require.Len(t, r.txsAfterStart()[n:], 2)
	require.Equal(t, 1, r.backend.rescores, "re-scored once")
}

// An opening that does not decrypt, or does not open the job's commitment, is complained
// about instead of committed to (the provider must then disclose its key).
func TestUnitAuditComplaint(t *testing.T) {
	for _, c := range []struct {
		name    string
		opening func(r *unitRig, id uint64) func(verifytypes.Opening, []byte) []byte
	}{
		{"garbage", func(*unitRig, uint64) func(verifytypes.Opening, []byte) []byte {
			return func(verifytypes.Opening, []byte) []byte { return make([]byte, 100) }
		}},
		{"other tokens than committed", func(r *unitRig, id uint64) func(verifytypes.Opening, []byte) []byte {
			return func(o verifytypes.Opening, salt []byte) []byte {
				o.OutputTokens = append([]uint32{7}, o.OutputTokens[1:]...)
				sealed, err := verifytypes.SealOpening(r.sender.pub[:], o, verifytypes.DeriveOpeningKey(salt, id, 1, sdk.MustAccAddressFromBech32(r.provider)))
				require.NoError(r.t, err)
				return sealed
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUnitRig(t)
			r.verifierCase(7, c.opening(r, 7))
			n := len(r.txsAfterStart())
			r.tick()
			txs := r.txsAfterStart()[n:]
			require.Len(t, txs, 1)
			require.Equal(t, &verifytypes.MsgCommitVerification{Signer: r.sender.addr, JobId: 7, Complaint: true}, txs[0].msgs[0])
			rec, err := r.w.verifications.Get(7)
			require.NoError(t, err)
			require.True(t, rec.Complaint)
			require.Equal(t, 0, r.backend.rescores, "nothing re-scored")
		})
	}
}

// The verify hook (tests only: a lazy or griefing verifier) replaces the honest
// verification, and the commitment is to what it returned.
func TestUnitVerifyHook(t *testing.T) {
	lazy := Verification{Hash: sha256.Sum256([]byte("guess")), Trace: verifytypes.Trace{Chosen: []int32{0}, Top: []int32{0}}}
	r := newUnitRig(t, withHooks(hooks{verify: func(context.Context, *Worker, tasktypes.Job, verifytypes.Audit, tasktypes.Claimed) (Verification, error) {
		return lazy, nil
	}}))
	c := r.verifierCase(7, nil)
	n := len(r.txsAfterStart())
	r.tick()
	rec, err := r.w.verifications.Get(7)
	require.NoError(t, err)
	salt, err := hex.DecodeString(rec.Salt)
	require.NoError(t, err)
	commit := r.txsAfterStart()[n].msgs[0].(*verifytypes.MsgCommitVerification)
	require.Equal(t, verifytypes.VerifierCommitment(lazy.Hash[:], lazy.Trace.Hash(), salt, c.me), commit.Commitment)
	require.Equal(t, 0, r.backend.rescores)
}

// One poll sends the audit messages first, in one transaction (the provider's own before
// the verifier's), then the job results; when the audit transaction fails, each message is
// sent alone.
func TestUnitAuditsBeforeJobs(t *testing.T) {
	for _, c := range []struct {
		name string
		fail bool
		want [][]string
	}{
		{"one audit transaction", false, [][]string{{"open", "commit"}, {"result"}}},
		{"audit transaction refused", true, [][]string{{"open", "commit"}, {"open"}, {"commit"}, {"result"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUnitRig(t)
			r.assign(1, "audited", 4)
			r.tick()
			r.chain.putAudit(verifytypes.Audit{
				JobId: 1, Provider: r.provider, ModelId: fakeModel, Status: verifytypes.AUDIT_STATUS_OPEN, Round: 1,
				Verifiers: []verifytypes.Verifier{{Operator: r.verifiers[0].operator, Round: 1}},
			})
			r.verifierCase(7, nil)
			r.assign(2, "new job", 4)
			if c.fail {
				r.sender.then(sendCheckFailed)
			}
			n := len(r.txsAfterStart())
			r.tick()
			var got [][]string
			for _, tx := range r.txsAfterStart()[n:] {
				var kinds []string
				for _, m := range tx.msgs {
					if _, ok := m.(*tasktypes.MsgCommitResult); ok {
						kinds = append(kinds, "result")
						continue
					}
					kinds = append(kinds, auditKind(m))
				}
				got = append(got, kinds)
			}
			require.Equal(t, c.want, got)
			require.Equal(t, 1.0, counterValue(r.w.metrics.Audits.WithLabelValues("open")))
			require.Equal(t, 1.0, counterValue(r.w.metrics.Audits.WithLabelValues("commit")))
			require.Equal(t, store.StatusCommitted, r.record(2).Status)
			require.True(t, r.w.auditsOpen, "an open audit keeps the loop ticking every block")
		})
	}
}
