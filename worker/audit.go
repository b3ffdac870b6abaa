package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// VerifyFunc computes the output hash a verifier commits for an audited job. The default,
// HonestVerify, re-runs the job from its on-chain prompt and parameters.
type VerifyFunc func(ctx context.Context, w *Worker, job tasktypes.Job) ([32]byte, error)

// HonestVerify re-runs the job on the worker's backend.
func HonestVerify(ctx context.Context, w *Worker, job tasktypes.Job) ([32]byte, error) {
	_, hash, err := w.Infer(ctx, job)
	return hash, err
}

// auditTick does the worker's part in every open audit it is party to: as a drawn
// verifier it re-runs the job, persists hash and salt, then commits; when the reveal
// phase opens it reveals. As the audited provider it reveals its job's persisted hash and
// salt. It sets w.auditsOpen so the run loop keeps ticking each block until they end.
func (w *Worker) auditTick(ctx context.Context) error {
	asVerifier, asProvider, err := w.client.AuditsOf(ctx, w.cfg.Provider)
	if err != nil {
		return err
	}
	w.auditsOpen = len(asVerifier)+len(asProvider) > 0
	// The provider's own reveals first (they only read the store), then the verifier
	// steps (a commit may need a re-run).
	var batch []auditMsg
	for _, a := range asProvider {
		if a.Status != verifytypes.AUDIT_STATUS_REVEAL || a.ProviderRevealed {
			continue
		}
		m, err := w.providerReveal(a)
		if err != nil {
			w.logf("audit of my job %d: %v", a.JobId, err)
			continue
		}
		batch = append(batch, auditMsg{jobID: a.JobId, msg: m})
	}
	for _, a := range asVerifier {
		m, rec, err := w.verifierStep(ctx, a)
		if err != nil {
			w.logf("audit of job %d: %v", a.JobId, err)
			continue
		}
		if m != nil {
			batch = append(batch, auditMsg{jobID: a.JobId, msg: m, rec: &rec})
		}
	}
	w.sendAudit(ctx, batch)
	return nil
}

// auditMsg is one message the worker owes an audit, with the verification record it
// advances (nil for the provider's own reveal).
type auditMsg struct {
	jobID uint64
	msg   sdk.Msg
	rec   *store.Record
}

// sendAudit sends a tick's audit messages in one transaction, so that a busy worker
// keeps up with the phases (one transaction per message took a block each, and reveal
// phases are short). When that transaction fails, each message is sent alone, so one
// stale message (a phase that just ended) cannot hold the others back.
func (w *Worker) sendAudit(ctx context.Context, batch []auditMsg) {
	if len(batch) == 0 {
		return
	}
	if len(batch) > 1 {
		msgs := make([]sdk.Msg, len(batch))
		for i, b := range batch {
			msgs[i] = b.msg
		}
		tx, err := w.signer.Send(ctx, nil, msgs...)
		if err == nil {
			for _, b := range batch {
				w.auditSent(b, tx)
			}
			return
		}
		w.metrics.TxFailures.Inc()
		w.logf("audit transaction with %d messages failed (%v); sending them one by one", len(batch), err)
	}
	for _, b := range batch {
		tx, err := w.signer.Send(ctx, nil, b.msg)
		if err != nil {
			w.metrics.TxFailures.Inc()
			w.logf("audit of job %d: %s failed: %v", b.jobID, auditKind(b.msg), err)
			continue
		}
		w.auditSent(b, tx)
	}
}

func auditKind(m sdk.Msg) string {
	if _, ok := m.(*verifytypes.MsgCommitVerification); ok {
		return "commit"
	}
	return "reveal"
}

// auditSent counts an included audit message and advances its verification record.
func (w *Worker) auditSent(b auditMsg, tx chain.TxResult) {
	kind := auditKind(b.msg)
	w.metrics.Audits.WithLabelValues(kind).Inc()
	w.logf("audit of job %d: %s included in %s at height %d", b.jobID, kind, tx.Hash, tx.Height)
	if b.rec == nil {
		return
	}
	if kind == "commit" {
		b.rec.Status, b.rec.TxHash = store.StatusCommitted, tx.Hash
	} else {
		b.rec.Status, b.rec.RevealTx = store.StatusRevealed, tx.Hash
	}
	if err := w.verifications.Save(*b.rec); err != nil {
		w.logf("audit of job %d: %s included but the record was not updated: %v", b.jobID, kind, err)
	}
}

// verifierStep returns the message this worker owes an audit as a verifier, if any, and the
// verification record it advances.
func (w *Worker) verifierStep(ctx context.Context, a verifytypes.Audit) (sdk.Msg, store.Record, error) {
	var me *verifytypes.Verifier
	for i := range a.Verifiers {
		if a.Verifiers[i].Operator == w.cfg.Provider && a.Verifiers[i].Round == a.Round {
			me = &a.Verifiers[i]
		}
	}
	if me == nil {
		return nil, store.Record{}, nil // drawn in an earlier round only
	}
	rec, err := w.verifications.Get(a.JobId)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, rec, err
	}
	switch a.Status {
	case verifytypes.AUDIT_STATUS_COMMIT:
		if len(me.Commitment) > 0 {
			return nil, rec, nil
		}
		if errors.Is(err, store.ErrNotFound) || rec.Round != a.Round {
			if rec, err = w.runVerification(ctx, a); err != nil {
				return nil, rec, err
			}
		}
		op, err := sdk.AccAddressFromBech32(w.cfg.Provider)
		if err != nil {
			return nil, rec, err
		}
		hash, salt, err := decodeHashSalt(rec)
		if err != nil {
			return nil, rec, err
		}
		return &verifytypes.MsgCommitVerification{Signer: w.signer.Address(), JobId: a.JobId,
			Commitment: verifytypes.VerifierCommitment(hash, salt, op)}, rec, nil
	case verifytypes.AUDIT_STATUS_REVEAL:
		if len(me.Commitment) == 0 || me.Revealed {
			return nil, rec, nil
		}
		if err != nil {
			return nil, rec, fmt.Errorf("committed, but the verification record is gone: cannot reveal")
		}
		hash, salt, err := decodeHashSalt(rec)
		if err != nil {
			return nil, rec, err
		}
		return &verifytypes.MsgReveal{Signer: w.signer.Address(), JobId: a.JobId, OutputHash: hash, Salt: salt}, rec, nil
	}
	return nil, rec, nil
}

// runVerification computes the job's output hash, draws a salt and persists both (fsync)
// before anything is sent.
func (w *Worker) runVerification(ctx context.Context, a verifytypes.Audit) (store.Record, error) {
	job, err := w.client.Job(ctx, a.JobId)
	if err != nil {
		return store.Record{}, err
	}
	start := time.Now()
	hash, err := w.verify(ctx, w, job)
	if err != nil {
		return store.Record{}, fmt.Errorf("re-run: %w", err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return store.Record{}, err
	}
	rec := store.Record{JobID: a.JobId, ModelID: a.ModelId, Status: store.StatusBuilt, Round: a.Round,
		Salt: hex.EncodeToString(salt), OutputHash: hex.EncodeToString(hash[:]), InferenceMs: time.Since(start).Milliseconds()}
	if err := w.verifications.Save(rec); err != nil {
		return rec, fmt.Errorf("persist verification: %w", err)
	}
	w.logf("audit of job %d: re-run in %d ms, committing", a.JobId, rec.InferenceMs)
	return rec, nil
}

// providerReveal opens the worker's own result for an audit of its job.
func (w *Worker) providerReveal(a verifytypes.Audit) (sdk.Msg, error) {
	rec, err := w.store.Get(a.JobId)
	if err != nil {
		return nil, fmt.Errorf("no record of the job's result: cannot reveal: %w", err)
	}
	hash, salt, err := decodeHashSalt(rec)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tasktypes.Commitment([32]byte(hash), salt), commitmentOf(rec)) {
		return nil, fmt.Errorf("the persisted hash and salt do not open the persisted commitment")
	}
	return &verifytypes.MsgReveal{Signer: w.signer.Address(), JobId: a.JobId, OutputHash: hash, Salt: salt}, nil
}

func decodeHashSalt(r store.Record) (hash, salt []byte, err error) {
	if hash, err = hex.DecodeString(r.OutputHash); err != nil || len(hash) != 32 {
		return nil, nil, fmt.Errorf("record of job %d has a malformed output hash", r.JobID)
	}
	if salt, err = hex.DecodeString(r.Salt); err != nil || len(salt) == 0 {
		return nil, nil, fmt.Errorf("record of job %d has a malformed salt", r.JobID)
	}
	return hash, salt, nil
}

func commitmentOf(r store.Record) []byte {
	c, _ := hex.DecodeString(r.Commitment)
	return c
}
