package main

// The burst: a busy user's load on the demo network. N jobs are sent within a time
// window (several jobs per transaction, alice and bob in turn, transactions spread evenly
// over the window), then every job is followed until it is final. The report says how
// many settled and how many expired (a job that expires while a provider has idle compute
// is the failure this checks for), the waits for a provider, and the jobs ended per
// second from the first submission to the last end.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/txclient"
	"github.com/sovra-network/sovra/worker/chain"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// burstOptions shape `sovra-demo burst`.
type burstOptions struct {
	home      string
	modelID   string
	jobs      int
	perTx     int
	maxTokens int
	within    time.Duration // the window the submissions are spread over
	timeout   time.Duration // for every job to be final after the last submission
}

func (o burstOptions) validate() error {
	switch {
	case o.jobs < 1 || o.jobs > 100_000:
		return fmt.Errorf("--jobs %d: between 1 and 100000", o.jobs)
	case o.perTx < 1 || o.perTx > 64:
		return fmt.Errorf("--per-tx %d: between 1 and 64", o.perTx)
	case o.maxTokens < 1:
		return fmt.Errorf("--max-tokens %d must be positive", o.maxTokens)
	case o.within < 0 || o.timeout <= 0:
		return fmt.Errorf("--within must not be negative and --timeout must be positive")
	case o.modelID == "":
		return fmt.Errorf("--model-id is required")
	}
	return nil
}

// burstJob is one job of the burst as followed.
type burstJob struct {
	id          uint64
	submitted   time.Time
	submitH     int64
	job         tasktypes.Job
	final       bool
	finalAt     time.Time
	assignWaitH int64 // blocks from inclusion to assignment
}

func runBurst(o burstOptions, stdout io.Writer) error {
	net, err := localnet.Attach(o.home)
	if err != nil {
		return fmt.Errorf("no localnet at %s (run make demo first): %w", o.home, err)
	}
	enc := chain.Encoding()
	conn, err := grpc.NewClient(net.GRPC(0), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.(codec.GRPCCodecProvider).GRPCCodec())))
	if err != nil {
		return err
	}
	defer conn.Close()
	rpc, err := rpchttp.New(net.RPC(0), "/websocket")
	if err != nil {
		return err
	}
	node := txclient.NewNode(conn, rpc)
	kr, err := txclient.OpenKeyring("test", net.ClientHome(), nil)
	if err != nil {
		return err
	}
	var clients []*txclient.Client
	for _, name := range []string{"alice", "bob"} {
		key, err := txclient.KeyringKey(kr, name)
		if err != nil {
			return err
		}
		clients = append(clients, txclient.New(enc, net.ChainID(), node, key, txclient.Options{GasAdjustment: 1.5}))
	}
	fee, err := sdk.ParseCoinNormalized(maxFee)
	if err != nil {
		return err
	}
	// Any X25519 key of full order will do: the burst does not read the outputs.
	seed := sha256.Sum256([]byte("sovra-demo/burst"))
	_, outputKey, err := tasktypes.DeriveOutputKey(seed[:])
	if err != nil {
		return err
	}
	msg := func(i int, from string) sdk.Msg {
		return &tasktypes.MsgSubmitJob{
			Submitter: from, ModelId: o.modelID, Prompt: prompts[i%len(prompts)].text,
			MaxOutputTokens: uint64(o.maxTokens), MaxFee: fee, OutputKey: outputKey[:],
		}
	}
	p := &printer{w: stdout}
	txs := (o.jobs + o.perTx - 1) / o.perTx
	p.printf("== burst: %d jobs of up to %d tokens in %d transactions from alice and bob, within %s\n", o.jobs, o.maxTokens, txs, o.within)

	ctx, cancel := context.WithTimeout(context.Background(), o.within+o.timeout+time.Minute)
	defer cancel()
	start := time.Now()
	type sent struct {
		hash []byte
		at   time.Time
		err  error
	}
	results := make([]chan sent, txs)
	for t := range txs {
		results[t] = make(chan sent, 1)
		c := clients[t%len(clients)]
		var msgs []sdk.Msg
		for i := t * o.perTx; i < min(o.jobs, (t+1)*o.perTx); i++ {
			msgs = append(msgs, msg(i, c.Address()))
		}
		if txs > 1 {
			time.Sleep(time.Until(start.Add(o.within * time.Duration(t) / time.Duration(txs-1))))
		}
		// Broadcast returns once CheckTx took the tx (sequences are the client's), so one
		// account can have several in the same block.
		hash, err := c.Broadcast(ctx, msgs...)
		results[t] <- sent{hash: hash, at: time.Now(), err: err}
	}
	sentIn := time.Since(start)
	var jobs []*burstJob
	for t := range txs {
		s := <-results[t]
		if s.err != nil {
			return fmt.Errorf("transaction %d: %w", t, s.err)
		}
		res, err := txclient.Wait(ctx, node, s.hash, time.Minute, 200*time.Millisecond)
		if err != nil {
			return fmt.Errorf("transaction %d: %w", t, err)
		}
		if res.Code != 0 {
			return fmt.Errorf("transaction %d failed: %s", t, res.Log)
		}
		ids, err := tasktypes.SubmittedJobIDs(res.Events)
		if err != nil {
			return err
		}
		for _, id := range ids {
			jobs = append(jobs, &burstJob{id: id, submitted: s.at, submitH: res.Height})
		}
	}
	p.printf("  sent in %s: %d jobs, ids %d..%d, heights %d..%d\n", seconds(sentIn), len(jobs),
		jobs[0].id, jobs[len(jobs)-1].id, jobs[0].submitH, jobs[len(jobs)-1].submitH)

	q := tasktypes.NewQueryClient(conn)
	open := len(jobs)
	for open > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d jobs not final after %s", open, len(jobs), o.timeout)
		}
		for _, j := range jobs {
			if j.final {
				continue
			}
			res, err := q.Job(ctx, &tasktypes.QueryJobRequest{Id: j.id})
			if err != nil {
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					break
				}
				return err
			}
			j.job = res.Job
			if !j.job.Status.IsOpen() {
				j.final, j.finalAt = true, time.Now()
				if j.job.AssignHeight > 0 {
					j.assignWaitH = j.job.AssignHeight - j.job.SubmitHeight
				}
				open--
			}
		}
		if open > 0 {
			time.Sleep(pollInterval)
		}
	}
	return burstReport(p, start, jobs)
}

// burstReport prints the outcome and fails when any job did not settle.
func burstReport(p *printer, start time.Time, jobs []*burstJob) error {
	byStatus := map[tasktypes.JobStatus]int{}
	var waits []int64
	last := start
	for _, j := range jobs {
		byStatus[j.job.Status]++
		if j.job.AssignHeight > 0 {
			waits = append(waits, j.assignWaitH)
		}
		if j.finalAt.After(last) {
			last = j.finalAt
		}
	}
	slices.Sort(waits)
	pct := func(q int) int64 {
		if len(waits) == 0 {
			return 0
		}
		return waits[min(len(waits)-1, len(waits)*q/100)]
	}
	took := last.Sub(start)
	p.printf("  final: %d settled, %d expired, %d failed, %d slashed\n", byStatus[tasktypes.JOB_STATUS_SETTLED],
		byStatus[tasktypes.JOB_STATUS_EXPIRED], byStatus[tasktypes.JOB_STATUS_FAILED], byStatus[tasktypes.JOB_STATUS_SLASHED])
	p.printf("  blocks from inclusion to assignment: p50 %d, p95 %d, max %d\n", pct(50), pct(95), pct(100))
	p.printf("  first submission to last end: %s, %.1f jobs ended per second\n", seconds(took), float64(len(jobs))/took.Seconds())
	if n := len(jobs) - byStatus[tasktypes.JOB_STATUS_SETTLED]; n > 0 {
		return fmt.Errorf("%d of %d jobs did not settle", n, len(jobs))
	}
	return nil
}
