package main

// The jobs: alice and bob submit in parallel (each waits for its previous transaction,
// as its account sequence requires), and one line is printed for every state change
// of every job, polled over gRPC, until each has reached a final state.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// prompts are the jobs, in submission order.
var prompts = []struct{ from, text string }{
	{"alice", "Once upon a time"},
	{"bob", "The quick brown fox"},
	{"alice", "The capital of France is"},
	{"bob", "Three things I learned today:"},
	{"alice", "def fibonacci(n):"},
	{"bob", "Dear diary,"},
}

// pollInterval is how often the open jobs are queried (blocks come every second).
const pollInterval = 400 * time.Millisecond

// Stages of a job, in order; a line is printed when one is reached.
const (
	stageSubmitted = iota
	stageAssigned
	stageCommitted
	stageAudited // the audit decision drew verifiers (about audit_rate of the jobs)
	stageFinal   // settled, expired, failed, slashed or cancelled
)

// jobView is one job as the demo follows it.
type jobView struct {
	id      uint64
	from    string
	prompt  string
	printed int // the last stage printed
	job     tasktypes.Job
	audit   *verifytypes.Audit // set once the job is known to be audited
}

func (j *jobView) final() bool { return j.printed == stageFinal }

// runJobs submits the jobs and follows them.
func (d *demo) runJobs() error {
	d.out.section(fmt.Sprintf("alice and bob buy %d jobs (at most %d tokens, %s escrowed each); the chain draws a provider for each",
		d.o.jobs, d.o.maxTokens, maxFee))
	d.out.printf("  %7s  %-6s %s\n", "TIME", "JOB", "EVENT")
	start := time.Now()
	var mu sync.Mutex // guards d.jobs while submitting
	submitted := make(chan error, 1)
	go func() { submitted <- d.submitAll(start, &mu) }()

	ctx, cancel := context.WithTimeout(context.Background(), d.o.timeout)
	defer cancel()
	submitting := true
	for {
		if submitting {
			select {
			case err := <-submitted:
				if err != nil {
					return err
				}
				submitting = false
			default:
			}
		}
		mu.Lock()
		jobs := append([]*jobView(nil), d.jobs...)
		mu.Unlock()
		open := 0
		for _, j := range jobs {
			if j.final() {
				continue
			}
			res, err := d.task.Job(ctx, &tasktypes.QueryJobRequest{Id: j.id})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				return fmt.Errorf("query job %d: %w", j.id, err)
			}
			j.job = res.Job
			d.advance(j, start)
			if !j.final() {
				open++
			}
		}
		if !submitting && open == 0 {
			d.out.printf("  %7s  all %d jobs are done\n", seconds(time.Since(start)), len(jobs))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d jobs not settled after %s (see the worker logs in %s)", open, len(jobs), d.o.timeout, rel(d.net.Home()))
		case <-time.After(pollInterval):
		}
	}
}

// submitAll runs one goroutine per submitter; each submits its jobs one after another.
func (d *demo) submitAll(start time.Time, mu *sync.Mutex) error {
	bySender := map[string][]int{}
	var senders []string
	for i := 0; i < d.o.jobs; i++ {
		from := prompts[i].from
		if bySender[from] == nil {
			senders = append(senders, from)
		}
		bySender[from] = append(bySender[from], i)
	}
	errs := make(chan error, len(senders))
	for _, from := range senders {
		go func() {
			for _, i := range bySender[from] {
				j, height, err := d.submit(from, prompts[i].text)
				if err != nil {
					errs <- fmt.Errorf("%s submits %q: %w", from, prompts[i].text, err)
					return
				}
				d.line(start, j, fmt.Sprintf("submitted by %s at height %d: %q", from, height, j.prompt))
				mu.Lock()
				d.jobs = append(d.jobs, j)
				mu.Unlock()
			}
			errs <- nil
		}()
	}
	var first error
	for range senders {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// submit is `sovrad tx task submit`, which waits until the job is in a block.
func (d *demo) submit(from, prompt string) (*jobView, int64, error) {
	out, err := d.cli.Run("tx", "task", "submit", d.o.modelID, prompt,
		"--max-tokens", strconv.Itoa(d.o.maxTokens), "--max-fee", maxFee, "--deadline", strconv.Itoa(d.o.deadline), "--from", from,
		"--gas", "auto", "--gas-adjustment", "1.5", "--output", "json", "--yes")
	if err != nil {
		return nil, 0, err
	}
	var res struct {
		JobID  string `json:"job_id"`
		Height string `json:"height"`
	}
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &res) != nil {
		return nil, 0, fmt.Errorf("unexpected output %q", out)
	}
	id, err := strconv.ParseUint(res.JobID, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("no job id in %q", out)
	}
	height, _ := strconv.ParseInt(res.Height, 10, 64)
	return &jobView{id: id, from: from, prompt: prompt}, height, nil
}

// advance prints a line for every stage the job has reached since the last poll (a
// quick job may pass two between polls).
func (d *demo) advance(j *jobView, start time.Time) {
	job := j.job
	if j.printed < stageAssigned && job.Provider != "" {
		j.printed = stageAssigned
		d.line(start, j, fmt.Sprintf("assigned to %s at height %d (drawn with that block's beacon)", d.name(job.Provider), job.AssignHeight))
	}
	if j.printed < stageCommitted && job.CommitHeight > 0 {
		j.printed = stageCommitted
		by := d.name(job.Provider)
		if w := d.workerOf(job.Provider); w != nil {
			by = w.name
		}
		d.line(start, j, fmt.Sprintf("committed by %s at height %d: %d prompt + %d output tokens, sealed to %s",
			by, job.CommitHeight, job.PromptTokens, job.OutputTokens, j.from))
	}
	if j.printed < stageAudited && (job.Status == tasktypes.JOB_STATUS_AUDITING || j.audit != nil) {
		j.printed = stageAudited
		if a := d.audit(j); a != nil {
			d.line(start, j, fmt.Sprintf("audited (decided at height %d from its beacon): the provider opens its tokens to %s (each re-scores them in one pass on its own hardware); commit then reveal",
				a.DecisionHeight, d.verifierNames(*a)))
		}
	}
	if j.printed < stageFinal && isFinal(job.Status) {
		j.printed = stageFinal
		verdict := ""
		if j.audit != nil {
			if a := d.audit(j); a != nil {
				verdict = fmt.Sprintf(" (audit %s)", auditWord(a.Status))
			}
		}
		d.line(start, j, fmt.Sprintf("%s at height %d%s: %s", statusWord(job.Status), job.EndHeight, verdict, d.settlement(j)))
	}
}

// settlement says who got what.
func (d *demo) settlement(j *jobView) string {
	job := j.job
	if job.Status == tasktypes.JOB_STATUS_SETTLED {
		return fmt.Sprintf("fee %s (%d tokens x %s), %s refunded to %s",
			job.FeePaid, job.PromptTokens+job.OutputTokens, job.PricePerToken, job.Refunded, j.from)
	}
	return fmt.Sprintf("%s refunded to %s", job.Refunded, j.from)
}

func (d *demo) line(start time.Time, j *jobView, event string) {
	d.out.printf("  %7s  %-6s %s\n", seconds(time.Since(start)), "#"+strconv.FormatUint(j.id, 10), event)
}

func isFinal(s tasktypes.JobStatus) bool {
	switch s {
	case tasktypes.JOB_STATUS_SETTLED, tasktypes.JOB_STATUS_FAILED, tasktypes.JOB_STATUS_SLASHED,
		tasktypes.JOB_STATUS_CANCELLED, tasktypes.JOB_STATUS_EXPIRED:
		return true
	}
	return false
}

// statusWord: JOB_STATUS_SETTLED -> settled.
func statusWord(s tasktypes.JobStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "JOB_STATUS_"))
}

// audit returns the job's audit, queried once the job is (or was) under audit.
func (d *demo) audit(j *jobView) *verifytypes.Audit {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.verify.Audit(ctx, &verifytypes.QueryAuditRequest{JobId: j.id})
	if err != nil {
		return nil
	}
	j.audit = &res.Audit
	return j.audit
}

// verifierNames lists an audit's verifiers by key name.
func (d *demo) verifierNames(a verifytypes.Audit) string {
	var names []string
	for _, v := range a.Verifiers {
		names = append(names, d.name(v.Operator))
	}
	return strings.Join(names, ", ")
}

// auditWord: AUDIT_STATUS_PASSED -> passed.
func auditWord(s verifytypes.AuditStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "AUDIT_STATUS_"))
}
