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
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Verification is what a verifier computed for an audit: the output hash of the claimed
// output under its own tokenization of the prompt, and its trace of the claimed tokens.
type Verification struct {
	Hash  [32]byte
	Trace verifytypes.Trace
}

// VerifyFunc computes a verifier's verification of an audited job from the claimed output
// the provider opened to it. The default, HonestVerify, re-scores the claimed tokens.
type VerifyFunc func(ctx context.Context, w *Worker, job tasktypes.Job, a verifytypes.Audit, claimed tasktypes.Claimed) (Verification, error)

// HonestVerify re-scores the prompt and the claimed tokens in one batched pass with the
// worker's own engine, with the challenge tokens of the audit's current round.
func HonestVerify(ctx context.Context, w *Worker, job tasktypes.Job, a verifytypes.Audit, claimed tasktypes.Claimed) (Verification, error) {
	var seed []byte
	if int(a.Round) <= len(a.ChallengeSeeds) {
		seed = a.ChallengeSeeds[a.Round-1]
	}
	prompt, trace, err := w.Rescore(ctx, job, claimed, seed)
	if err != nil {
		return Verification{}, err
	}
	claimed.PromptTokens = prompt
	hash, err := w.OutputHash(job, claimed)
	return Verification{Hash: hash, Trace: trace}, err
}

// Tokenize returns the prompt's tokens as this worker's engine for the model makes them.
func (w *Worker) Tokenize(modelID, prompt string) ([]uint32, error) {
	t, ok := w.rescorers[modelID].(interface {
		Tokenize(string) ([]uint32, error)
	})
	if !ok {
		return nil, fmt.Errorf("model %q: no tokenizer", modelID)
	}
	return t.Tokenize(prompt)
}

// Rescore scores the claimed tokens of a job in one batched pass: the prompt tokens as
// this worker tokenizes them, and the trace (with challenge values when seed is set).
func (w *Worker) Rescore(ctx context.Context, job tasktypes.Job, claimed tasktypes.Claimed, seed []byte) ([]uint32, verifytypes.Trace, error) {
	r, ok := w.rescorers[job.ModelId]
	if !ok {
		return nil, verifytypes.Trace{}, fmt.Errorf("model %q is not served by this worker", job.ModelId)
	}
	res, err := r.Rescore(ctx, inference.RescoreRequest{Prompt: job.Prompt, Claimed: claimed, Sampling: job.Sampling, ChallengeSeed: seed})
	if err != nil {
		return nil, verifytypes.Trace{}, err
	}
	if i := res.StopMismatch; i >= 0 && i < len(res.Trace.Chosen) {
		// An end-of-generation token inside the output, or a stop token that is not one:
		// the claimed token cannot be there, whatever its logit.
		res.Trace.Chosen[i] = inference.MinTraceValue
	}
	return res.PromptTokens, res.Trace, nil
}

// OutputHash is the job's output hash of a claimed output under the chain's model hash.
func (w *Worker) OutputHash(job tasktypes.Job, c tasktypes.Claimed) ([32]byte, error) {
	modelHash, err := w.modelHash(job.ModelId)
	if err != nil {
		return [32]byte{}, err
	}
	return tasktypes.OutputHash(modelHash, job.Id, job.Sampling, c), nil
}

// modelHash is the sha256 the chain registers for a model this worker serves.
func (w *Worker) modelHash(id string) ([]byte, error) {
	model, ok := w.models[id]
	if !ok {
		return nil, fmt.Errorf("model %q is not verified", id)
	}
	h, err := hex.DecodeString(model.Sha256)
	if err != nil {
		return nil, fmt.Errorf("model %q has a malformed sha256: %w", model.Id, err)
	}
	return h, nil
}

// auditTick does the worker's part in every open audit it is party to. As the audited
// provider it opens the claimed output to the round's verifiers (sealed to each one's audit
// key) and later reveals its persisted hash, trace and salt. As a drawn verifier it
// decrypts its opening, re-scores, persists its verification, commits, then reveals. It
// sets w.auditsOpen so the run loop keeps ticking each block until they end.
func (w *Worker) auditTick(ctx context.Context) error {
	asVerifier, asProvider, err := w.client.AuditsOf(ctx, w.cfg.Provider)
	if err != nil {
		return err
	}
	w.auditsOpen = len(asVerifier)+len(asProvider) > 0
	// The provider's own messages first (they only read the store), then the verifier
	// steps (a commit needs a re-scoring).
	var batch []auditMsg
	for _, a := range asProvider {
		msgs, err := w.providerStep(ctx, a)
		if err != nil {
			w.logf("audit of my job %d: %v", a.JobId, err)
			continue
		}
		for _, m := range msgs {
			batch = append(batch, auditMsg{jobID: a.JobId, msg: m})
		}
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
// advances (nil for the provider's own messages).
type auditMsg struct {
	jobID uint64
	msg   sdk.Msg
	rec   *store.Record
}

// sendAudit sends a tick's audit messages in one transaction, so that a busy worker
// keeps up with the phases (one transaction per message took a block each, and phases
// are short). When that transaction fails, each message is sent alone, so one stale
// message (a phase that just ended) cannot hold the others back.
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
		w.reportSend(ctx, err)
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
		w.reportSend(ctx, err)
		if err != nil {
			w.metrics.TxFailures.Inc()
			w.logf("audit of job %d: %s failed: %v", b.jobID, auditKind(b.msg), err)
			continue
		}
		w.auditSent(b, tx)
	}
}

func auditKind(m sdk.Msg) string {
	switch m.(type) {
	case *verifytypes.MsgOpenAudit:
		return "open"
	case *verifytypes.MsgCommitVerification:
		return "commit"
	case *verifytypes.MsgDiscloseOpening:
		return "disclose"
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
	switch kind {
	case "commit":
		b.rec.Status, b.rec.TxHash = store.StatusCommitted, tx.Hash
	case "disclose":
		return
	default:
		b.rec.Status, b.rec.RevealTx = store.StatusRevealed, tx.Hash
	}
	if err := w.verifications.Save(*b.rec); err != nil {
		w.logf("audit of job %d: %s included but the record was not updated: %v", b.jobID, kind, err)
	}
}

// providerStep returns the messages the worker owes an audit of its own job: the openings
// in the OPEN phase; in the REVEAL phase its reveal and the keys of the openings that
// verifiers complained about (the chain decrypts those to judge the complaint).
func (w *Worker) providerStep(ctx context.Context, a verifytypes.Audit) ([]sdk.Msg, error) {
	if a.Status == verifytypes.AUDIT_STATUS_OPEN {
		m, err := w.providerOpen(ctx, a)
		if err != nil {
			return nil, err
		}
		return []sdk.Msg{m}, nil
	}
	if a.Status != verifytypes.AUDIT_STATUS_REVEAL {
		return nil, nil
	}
	var msgs []sdk.Msg
	if !a.ProviderRevealed {
		m, err := w.providerReveal(a)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if m, err := w.providerDisclose(a); err != nil || m != nil {
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// providerOpening is what the worker seals to a verifier: the persisted claimed output,
// with the result's salt and trace hash, and the opening's key derived from the salt.
func (w *Worker) providerOpening(a verifytypes.Audit, verifier string) (verifytypes.Opening, [32]byte, error) {
	rec, err := w.store.Get(a.JobId)
	if err != nil {
		return verifytypes.Opening{}, [32]byte{}, fmt.Errorf("no record of the job's result: %w", err)
	}
	if rec.Trace == nil {
		return verifytypes.Opening{}, [32]byte{}, fmt.Errorf("the record of job %d has no trace", a.JobId)
	}
	salt, err := hex.DecodeString(rec.Salt)
	if err != nil {
		return verifytypes.Opening{}, [32]byte{}, fmt.Errorf("the record of job %d has a malformed salt", a.JobId)
	}
	op, err := sdk.AccAddressFromBech32(verifier)
	if err != nil {
		return verifytypes.Opening{}, [32]byte{}, err
	}
	th := rec.Trace.Hash()
	o := verifytypes.Opening{
		Claimed: tasktypes.Claimed{PromptTokens: rec.PromptTokens, OutputTokens: rec.OutputTokens, StopToken: rec.StopToken},
		Salt:    salt, TraceHash: th[:],
	}
	return o, verifytypes.DeriveOpeningKey(salt, a.JobId, a.Round, op), nil
}

// providerDisclose returns the keys of the current round's openings that verifiers
// complained about and that are not disclosed yet (nil when none).
func (w *Worker) providerDisclose(a verifytypes.Audit) (sdk.Msg, error) {
	msg := &verifytypes.MsgDiscloseOpening{Signer: w.signer.Address(), JobId: a.JobId}
	for _, v := range a.Verifiers {
		if v.Round != a.Round || !v.Complained || len(v.OpeningKey) > 0 {
			continue
		}
		_, key, err := w.providerOpening(a, v.Operator)
		if err != nil {
			return nil, err
		}
		msg.Keys = append(msg.Keys, verifytypes.OpeningKey{Verifier: v.Operator, Key: key[:]})
	}
	if len(msg.Keys) == 0 {
		return nil, nil
	}
	return msg, nil
}

// providerOpen seals the claimed output to every verifier of the current round.
func (w *Worker) providerOpen(ctx context.Context, a verifytypes.Audit) (sdk.Msg, error) {
	msg := &verifytypes.MsgOpenAudit{Signer: w.signer.Address(), JobId: a.JobId}
	for _, v := range a.Verifiers {
		if v.Round != a.Round {
			continue
		}
		p, err := w.client.Provider(ctx, v.Operator)
		if err != nil {
			return nil, fmt.Errorf("verifier %s: %w", v.Operator, err)
		}
		o, key, err := w.providerOpening(a, v.Operator)
		if err != nil {
			return nil, err
		}
		sealed, err := verifytypes.SealOpening(p.AuditKey, o, key)
		if err != nil {
			return nil, fmt.Errorf("seal the opening for %s: %w", v.Operator, err)
		}
		msg.Openings = append(msg.Openings, verifytypes.AuditOpening{Verifier: v.Operator, Sealed: sealed})
	}
	return msg, nil
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
		if len(me.Commitment) > 0 || me.Complained {
			return nil, rec, nil
		}
		if errors.Is(err, store.ErrNotFound) || rec.Round != a.Round {
			if rec, err = w.runVerification(ctx, a, me.Opening); err != nil {
				return nil, rec, err
			}
		}
		if rec.Complaint {
			return &verifytypes.MsgCommitVerification{Signer: w.signer.Address(), JobId: a.JobId, Complaint: true}, rec, nil
		}
		op, err := sdk.AccAddressFromBech32(w.cfg.Provider)
		if err != nil {
			return nil, rec, err
		}
		hash, salt, err := decodeHashSalt(rec)
		if err != nil {
			return nil, rec, err
		}
		return &verifytypes.MsgCommitVerification{
			Signer: w.signer.Address(), JobId: a.JobId,
			Commitment: verifytypes.VerifierCommitment(hash, rec.Trace.Hash(), salt, op),
		}, rec, nil
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
		return &verifytypes.MsgReveal{Signer: w.signer.Address(), JobId: a.JobId, OutputHash: hash, Salt: salt, Trace: *rec.Trace}, rec, nil
	}
	return nil, rec, nil
}

// runVerification opens the claimed output, re-scores it, draws a salt and persists the
// hash, trace and salt (fsync) before anything is sent.
func (w *Worker) runVerification(ctx context.Context, a verifytypes.Audit, opening []byte) (store.Record, error) {
	job, err := w.client.Job(ctx, a.JobId)
	if err != nil {
		return store.Record{}, err
	}
	o, err := verifytypes.OpenOpening(opening, w.auditPub, w.auditPriv)
	if err == nil {
		var model []byte
		if model, err = w.modelHash(job.ModelId); err == nil && !o.Matches(job, model) {
			err = errors.New("the opened tokens, salt and trace hash do not open the job's result commitment")
		}
	}
	if err != nil {
		// The provider's opening is bad: complain; the provider must disclose the opening's
		// key, with which the chain decrypts and judges it.
		rec := store.Record{JobID: a.JobId, ModelID: a.ModelId, Status: store.StatusBuilt, Round: a.Round, Complaint: true, Error: err.Error()}
		if err := w.verifications.Save(rec); err != nil {
			return rec, fmt.Errorf("persist complaint: %w", err)
		}
		w.logf("audit of job %d: bad opening (%v): complaining", a.JobId, err)
		return rec, nil
	}
	claimed := o.Claimed
	start := time.Now()
	v, err := w.verify(ctx, w, job, a, claimed)
	w.reportInference(ctx, err)
	if err != nil {
		return store.Record{}, fmt.Errorf("re-score: %w", err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return store.Record{}, err
	}
	rec := store.Record{
		JobID: a.JobId, ModelID: a.ModelId, Status: store.StatusBuilt, Round: a.Round,
		Salt: hex.EncodeToString(salt), OutputHash: hex.EncodeToString(v.Hash[:]), Trace: &v.Trace,
		OutputTokens: claimed.OutputTokens, StopToken: claimed.StopToken, InferenceMs: time.Since(start).Milliseconds(),
	}
	if err := w.verifications.Save(rec); err != nil {
		return rec, fmt.Errorf("persist verification: %w", err)
	}
	w.logf("audit of job %d: %d claimed tokens re-scored in %d ms, committing", a.JobId, v.Trace.Len(), rec.InferenceMs)
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
	if rec.Trace == nil {
		return nil, fmt.Errorf("the record of job %d has no trace: cannot reveal", a.JobId)
	}
	if !bytes.Equal(tasktypes.Commitment([32]byte(hash), rec.Trace.Hash(), salt), commitmentOf(rec)) {
		return nil, fmt.Errorf("the persisted hash, trace and salt do not open the persisted commitment")
	}
	return &verifytypes.MsgReveal{Signer: w.signer.Address(), JobId: a.JobId, OutputHash: hash, Salt: salt, Trace: *rec.Trace}, nil
}

func decodeHashSalt(r store.Record) (hash, salt []byte, err error) {
	if hash, err = hex.DecodeString(r.OutputHash); err != nil || len(hash) != 32 {
		return nil, nil, fmt.Errorf("record of job %d has a malformed output hash", r.JobID)
	}
	if salt, err = hex.DecodeString(r.Salt); err != nil || len(salt) == 0 {
		return nil, nil, fmt.Errorf("record of job %d has a malformed salt", r.JobID)
	}
	if r.Trace == nil {
		return nil, nil, fmt.Errorf("record of job %d has no trace", r.JobID)
	}
	return hash, salt, nil
}

func commitmentOf(r store.Record) []byte {
	c, _ := hex.DecodeString(r.Commitment)
	return c
}
