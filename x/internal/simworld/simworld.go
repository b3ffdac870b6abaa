// Package simworld is what the simulation's providers and verifiers compute for a job:
// the claimed output, the provider's trace and salt, the sealed output, each verifier's
// re-scoring, the audit keys. Everything is derived from the job and the party alone, so
// x/task's and x/verify's message factories agree on a job's numbers across blocks
// without sharing memory, and a seed replays exactly.
//
// Honest parties agree within every tolerance (the traces are equal). A provider whose
// operator Cheats commits, on about half of its jobs, another model's output (CheatsOn),
// one of two ways: a substitute's tokens with its own trace, opened as committed, which
// the verifiers re-score with the job's model and find far off (the traces disagree); or
// a commitment the opening it sends does not match, which the verifiers complain about.
package simworld

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/nacl/box"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// StopToken ends every simulated output that does not run to max_output_tokens.
const StopToken = 2

// Vocab is the vocabulary size of the simulated models' token ids.
const Vocab = 32000

// Tag is sha256(tag ‖ id ‖ extra...): every derived value of this package.
func Tag(tag string, id uint64, extra ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(tag))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	h.Write(b[:])
	for _, e := range extra {
		binary.BigEndian.PutUint64(b[:], uint64(len(e)))
		h.Write(b[:])
		h.Write(e)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func tagU64(tag string, id uint64, extra ...[]byte) uint64 {
	t := Tag(tag, id, extra...)
	return binary.BigEndian.Uint64(t[:8])
}

// Claimed is the output the job's model "generates": between 1 and the job's prompt
// token bound of prompt tokens and up to max_output_tokens output tokens, ended by
// StopToken unless it ran to max_output_tokens.
func Claimed(job tasktypes.Job) tasktypes.Claimed { return claimed(job, "sim/") }

// claimed is the output of the model named by tag.
func claimed(job tasktypes.Job, tag string) tasktypes.Claimed {
	bound := uint64(len(job.Prompt)) + 2 // x/task's PromptTokenBound
	nPrompt := 1 + tagU64("sim/prompt-len", job.Id)%min(bound, 16)
	var c tasktypes.Claimed
	for i := range nPrompt {
		c.PromptTokens = append(c.PromptTokens, uint32(tagU64("sim/prompt", job.Id, u64(i))%Vocab)) //nolint:gosec // G115: below Vocab
	}
	nOut := tagU64(tag+"output-len", job.Id) % (job.MaxOutputTokens + 1)
	for i := range nOut {
		c.OutputTokens = append(c.OutputTokens, uint32(3+tagU64(tag+"output", job.Id, u64(i))%(Vocab-3))) //nolint:gosec // G115: below Vocab
	}
	c.StopToken = StopToken
	if nOut == job.MaxOutputTokens && tagU64(tag+"no-stop", job.Id)%2 == 0 {
		c.StopToken = tasktypes.NoStopToken
	}
	return c
}

// ClaimedBy is the output the provider operator claims for job: the model's, or the
// substitute's tokens when it cheats with a consistent opening.
func ClaimedBy(job tasktypes.Job, operator string) tasktypes.Claimed {
	if cheat(operator, job.Id) == cheatConsistent {
		return claimed(job, "sim/substitute-")
	}
	return Claimed(job)
}

// Text is the decoded text of a claimed output (what the submitter reads).
func Text(c tasktypes.Claimed) []byte {
	return fmt.Appendf(nil, "%d tokens from the simulation", len(c.OutputTokens))
}

// Cheats reports whether the provider run by operator substitutes another model on some
// of its jobs: about one operator in eight.
func Cheats(operator string) bool { return Tag("sim/cheater", 0, []byte(operator))[0] < 32 }

// CheatsOn reports whether the provider operator committed a substitute's output for job.
func CheatsOn(operator string, jobID uint64) bool { return cheat(operator, jobID) != honest }

type cheatKind int

const (
	honest cheatKind = iota
	// cheatConsistent: the substitute's tokens and trace, opened as committed.
	cheatConsistent
	// cheatMismatch: a commitment that the opening (the model's tokens) does not match.
	cheatMismatch
)

func cheat(operator string, jobID uint64) cheatKind {
	if !Cheats(operator) {
		return honest
	}
	switch tagU64("sim/cheat", jobID, []byte(operator)) % 4 {
	case 0:
		return cheatConsistent
	case 1:
		return cheatMismatch
	}
	return honest
}

// ModelTrace is the model's trace of a job over n positions: per position the claimed
// token's and the top token's log-probability (equal: greedy), the claimed token's
// interval of the job's seeded draw when the job is sampled, and, with a round seed, the
// challenge values of that round.
func ModelTrace(job tasktypes.Job, n int, roundSeed []byte) verifytypes.Trace {
	t := verifytypes.Trace{Chosen: make([]int32, n), Top: make([]int32, n)}
	for i := range n {
		top := -int32(tagU64("sim/top", job.Id, u64(uint64(i))) % 3000) //nolint:gosec // G115: below 3000
		t.Top[i], t.Chosen[i] = top, top
	}
	if job.Sampling.TemperatureMilli > 0 {
		t.Lo, t.Hi = make([]uint64, n), make([]uint64, n)
		for i := range n {
			u := tasktypes.SamplerDraw(job.Sampling.Seed, i)
			width := tagU64("sim/interval", job.Id, u64(uint64(i))) % (1 << 20)
			t.Lo[i] = u - min(u, width)
			t.Hi[i] = u + 1
		}
	}
	if roundSeed != nil {
		t.Challenge = make([]int32, n)
		for i := range n {
			tok := verifytypes.ChallengeToken(roundSeed, i, Vocab)
			t.Challenge[i] = -1000 - int32(tagU64("sim/challenge", job.Id, roundSeed, u64(uint64(tok)), u64(uint64(i)))%20000) //nolint:gosec // G115: below 20000
		}
	}
	return t
}

// substitute is a cheaper model's trace: every value 100 nats off, beyond any tolerance
// x/verify accepts (at most 64 × TraceScale).
func substitute(t verifytypes.Trace) verifytypes.Trace {
	for i := range t.Chosen {
		t.Chosen[i] -= 100 * verifytypes.TraceScale
		t.Top[i] -= 100 * verifytypes.TraceScale
	}
	return t
}

// Commit is what a provider commits for a job: the output hash, the trace and the salt of
// its result commitment.
type Commit struct {
	Hash  [32]byte
	Trace verifytypes.Trace
	Salt  []byte
}

// ProviderCommit is what the job's provider (operator) commits: the model's output, or a
// substitute's when CheatsOn.
func ProviderCommit(job tasktypes.Job, operator string, modelSHA256 []byte) Commit {
	c := ClaimedBy(job, operator)
	salt := Tag("sim/provider-salt", job.Id)
	out := Commit{
		Hash:  tasktypes.OutputHash(modelSHA256, job.Id, job.Sampling, c),
		Trace: ModelTrace(job, c.Positions(), nil),
		Salt:  salt[:20],
	}
	switch cheat(operator, job.Id) {
	case cheatConsistent:
		out.Trace = substitute(out.Trace)
	case cheatMismatch:
		out.Hash = Tag("sim/substitute-output", job.Id)
		out.Trace = substitute(out.Trace)
	}
	return out
}

// Result is the provider's MsgCommitResult entry for the job: its commitment, token counts
// and the output sealed to the submitter's output key.
func Result(job tasktypes.Job, operator string, modelSHA256 []byte) (tasktypes.JobResult, error) {
	c := ClaimedBy(job, operator)
	pc := ProviderCommit(job, operator, modelSHA256)
	sealed, err := Seal(job, tasktypes.SealedPayload{Text: Text(c), OutputTokens: c.OutputTokens, PromptTokens: c.PromptTokens})
	if err != nil {
		return tasktypes.JobResult{}, err
	}
	return tasktypes.JobResult{
		JobId:        job.Id,
		Commitment:   tasktypes.Commitment(pc.Hash, pc.Trace.Hash(), pc.Salt),
		PromptTokens: uint64(len(c.PromptTokens)),
		OutputTokens: uint64(len(c.OutputTokens)),
		SealedOutput: sealed,
	}, nil
}

// Seal seals p to the job's output key as tasktypes.Seal does, with the ephemeral key
// drawn from the job instead of crypto/rand: the sealed bytes go into state, and a seed
// must give the same app hash every time.
func Seal(job tasktypes.Job, p tasktypes.SealedPayload) ([]byte, error) {
	if len(job.OutputKey) != tasktypes.OutputKeySize {
		return nil, fmt.Errorf("output key must be %d bytes, got %d", tasktypes.OutputKeySize, len(job.OutputKey))
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var pub [32]byte
	copy(pub[:], job.OutputKey)
	return box.SealAnonymous(nil, plain, &pub, &stream{seed: Tag("sim/seal", job.Id)})
}

// OutputKey is the X25519 key pair of a submitter (address bytes) for its jobs.
func OutputKey(submitter []byte) (priv, pub *[32]byte) {
	return keyPair("sim/output-key", submitter)
}

// AuditKey is the X25519 audit key pair of the provider run by operator (address bytes):
// its worker publishes pub (MsgSetAuditKey) and, as a verifier, opens with priv.
func AuditKey(operator []byte) (priv, pub *[32]byte) {
	return keyPair("sim/audit-key", operator)
}

func keyPair(tag string, addr []byte) (priv, pub *[32]byte) {
	priv, pub, err := tasktypes.X25519KeyPair(Tag(tag, 0, addr))
	if err != nil {
		panic(err) // X25519 with the base point cannot fail
	}
	return priv, pub
}

// Opening is the provider's opening of its committed result of job: the claimed output,
// its salt and trace hash.
func Opening(job tasktypes.Job, operator string, modelSHA256 []byte) verifytypes.Opening {
	pc := ProviderCommit(job, operator, modelSHA256)
	th := pc.Trace.Hash()
	return verifytypes.Opening{Claimed: ClaimedBy(job, operator), Salt: pc.Salt, TraceHash: th[:]}
}

// Verification is what an honest verifier reveals for job in the round whose seed is
// roundSeed: the output hash and the job's model's trace of the tokens provider opened to
// it (ClaimedBy), and its salt.
func Verification(job tasktypes.Job, provider string, modelSHA256, verifier, roundSeed []byte) (hash [32]byte, trace verifytypes.Trace, salt []byte) {
	c := ClaimedBy(job, provider)
	s := Tag("sim/verifier-salt", job.Id, verifier, roundSeed)
	return tasktypes.OutputHash(modelSHA256, job.Id, job.Sampling, c), ModelTrace(job, c.Positions(), roundSeed), s[:24]
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// stream is a deterministic byte stream: sha256(seed ‖ counter) blocks.
type stream struct {
	seed [32]byte
	n    uint64
	buf  []byte
}

func (s *stream) Read(p []byte) (int, error) {
	for i := range p {
		if len(s.buf) == 0 {
			b := Tag("sim/stream", s.n, s.seed[:])
			s.buf = b[:]
			s.n++
		}
		p[i] = s.buf[0]
		s.buf = s.buf[1:]
	}
	return len(p), nil
}
