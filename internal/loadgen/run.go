package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// runner carries one Run.
type runner struct {
	opts    Options
	enc     params.EncodingConfig
	n       *node
	chainID string
	signers []txclient.Key
	gas     uint64

	// submit-job and job
	maxFee   sdk.Coin
	deadline uint64
	// job
	job *jobRun

	mu       sync.Mutex
	accepted [][]byte // hashes of txs CheckTx accepted
	res      Result
}

// Run funds the load accounts, sends Count transactions of one kind from Concurrency
// accounts and measures how fast they are committed. The error is about setting up or
// reading the chain; failed transactions are counted in the Result.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	n, err := dialNode(opts.RPC, opts.GRPC)
	if err != nil {
		return Result{}, err
	}
	defer n.close()
	r := &runner{opts: opts, enc: n.enc, n: n}
	chainID, _, err := n.status(ctx)
	if err != nil {
		return Result{}, err
	}
	r.chainID = opts.ChainID
	if r.chainID == "" {
		r.chainID = chainID
	} else if r.chainID != chainID {
		return Result{}, fmt.Errorf("loadgen: chain id %q, but the node runs %q", r.chainID, chainID)
	}
	if err := r.setup(ctx); err != nil {
		return Result{}, err
	}
	return r.load(ctx)
}

func (r *runner) setup(ctx context.Context) error {
	keys := r.opts.Keys
	if len(keys) == 0 {
		for i := 0; i < r.opts.Concurrency; i++ {
			keys = append(keys, DeriveKey(r.opts.Seed, i))
		}
	}
	for _, k := range keys {
		r.signers = append(r.signers, txclient.PrivKey(k))
	}
	if r.opts.Kind == KindJob {
		if err := r.prepareWorkers(ctx); err != nil {
			return err
		}
		if err := r.sealOutputs(); err != nil {
			return err
		}
	}
	if r.opts.Kind == KindSubmitJob || r.opts.Kind == KindJob {
		if err := r.prepareJobs(ctx); err != nil {
			return err
		}
	}
	if err := r.fund(ctx); err != nil {
		return err
	}
	r.gas = r.opts.GasLimit
	if r.gas == 0 {
		number, seq, err := r.n.tx.Account(ctx, r.signers[0].Bech32())
		if err != nil {
			return err
		}
		acc := txclient.Account{ChainID: r.chainID, Number: number, Sequence: seq}
		probe, err := txclient.Sign(ctx, r.enc, r.signers[0], acc, txclient.Fee{Gas: 10_000_000}, r.message(0))
		if err != nil {
			return err
		}
		used, err := r.n.tx.Simulate(ctx, probe)
		if err != nil {
			return fmt.Errorf("loadgen: simulate one %s: %w", r.opts.Kind, err)
		}
		r.gas = adjustGas(used, r.opts.GasAdjustment)
		fmt.Fprintf(r.opts.Log, "loadgen: %s uses %d gas; limit %d\n", r.opts.Kind, used, r.gas)
	}
	return nil
}

// message is load account i's message; every tx of the account carries the same one
// (the sequence makes each tx distinct).
func (r *runner) message(i int) sdk.Msg {
	from := r.signers[i]
	switch r.opts.Kind {
	case KindSend:
		to := r.signers[(i+1)%len(r.signers)]
		return &banktypes.MsgSend{
			FromAddress: from.Bech32(), ToAddress: to.Bech32(),
			Amount: sdk.NewCoins(sdk.NewInt64Coin(r.opts.Denom, r.opts.SendAmount)),
		}
	default:
		return &tasktypes.MsgSubmitJob{
			Submitter:       from.Bech32(),
			ModelId:         r.opts.ModelID,
			Prompt:          r.opts.Prompt,
			MaxOutputTokens: r.opts.MaxOutputTokens,
			MaxFee:          r.maxFee,
			OutputKey:       r.outputKey(i),
			DeadlineBlocks:  r.deadline,
		}
	}
}

func (r *runner) load(ctx context.Context) (Result, error) {
	// Start right after a block is committed, so that every run's load meets the block
	// boundaries at the same phase and short runs compare.
	start, err := r.nextBlock(ctx)
	if err != nil {
		return Result{}, err
	}
	var observe blockObserver
	if r.job != nil {
		observe = r.observeJobs
	}
	f, err := newFollower(ctx, r.n, start, r.opts.PollInterval, observe)
	if err != nil {
		return Result{}, err
	}
	fctx, stopFollower := context.WithCancel(ctx)
	defer stopFollower()
	go f.run(fctx)
	stopWorkers := func() {}
	if r.job != nil {
		stopWorkers = r.startWorkers(ctx)
	}
	defer stopWorkers()

	r.res = Result{
		Kind: r.opts.Kind, ChainID: r.chainID, Accounts: len(r.signers), GasLimit: r.gas,
		Requested: r.opts.Count, Failures: map[string]int{},
	}
	fmt.Fprintf(r.opts.Log, "loadgen: sending %d %s txs from %d accounts after height %d\n",
		r.opts.Count, r.opts.Kind, len(r.signers), start)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range r.signers {
		quota := r.opts.Count / len(r.signers)
		if i < r.opts.Count%len(r.signers) {
			quota++
		}
		wg.Add(1)
		go func(i, quota int) {
			defer wg.Done()
			r.worker(ctx, i, quota)
		}(i, quota)
	}
	wg.Wait()
	r.res.BroadcastSeconds = time.Since(began).Seconds()
	fmt.Fprintf(r.opts.Log, "loadgen: %d accepted in %.2fs; waiting for blocks\n", r.res.Sent, r.res.BroadcastSeconds)

	found, err := f.waitFor(ctx, r.accepted, time.Now().Add(r.opts.CommitTimeout))
	if err != nil {
		return r.res, err
	}
	r.tally(found, f)
	if r.job != nil {
		fmt.Fprintf(r.opts.Log, "loadgen: %d submissions committed; waiting for the jobs to settle\n", r.res.Committed)
		if err := r.waitForJobs(ctx, f); err != nil {
			return r.res, err
		}
		stopWorkers()
		r.tallyJobs(f)
	}
	return r.res, nil
}

// nextBlock waits until the node commits a new block and returns its height.
func (r *runner) nextBlock(ctx context.Context) (int64, error) {
	_, h0, err := r.n.status(ctx)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(r.opts.CommitTimeout)
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		_, h, err := r.n.status(ctx)
		if err != nil {
			return 0, err
		}
		if h > h0 {
			return h, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("loadgen: the node made no block after height %d in %s", h0, r.opts.CommitTimeout)
		}
	}
}

// tally counts committed and failed txs and measures the block window.
func (r *runner) tally(found map[string]txOutcome, f *follower) {
	res := &r.res
	for _, h := range r.accepted {
		o, ok := found[string(h)]
		switch {
		case !ok:
			res.fail(fmt.Sprintf("not in a block within %s", r.opts.CommitTimeout))
			continue
		case o.code == 0:
			res.Committed++
		default:
			res.fail(fmt.Sprintf("deliver %s/%d: %s", o.codespace, o.code, reasonOf(o.log)))
		}
		if res.FirstHeight == 0 || o.height < res.FirstHeight {
			res.FirstHeight = o.height
		}
		if o.height > res.LastHeight {
			res.LastHeight = o.height
		}
	}
	if res.FirstHeight == 0 {
		return
	}
	res.Blocks = int(res.LastHeight - res.FirstHeight + 1)
	total := 0
	for h := res.FirstHeight; h <= res.LastHeight; h++ {
		b, _ := f.block(h)
		total += b.txs
		res.MaxBlockTxs = max(res.MaxBlockTxs, b.txs)
	}
	res.MeanBlockTxs = float64(total) / float64(res.Blocks)
	before, _ := f.block(res.FirstHeight - 1)
	first, _ := f.block(res.FirstHeight)
	last, _ := f.block(res.LastHeight)
	res.StartTime, res.FirstBlockTime, res.LastBlockTime = before.time, first.time, last.time
	res.Seconds = last.time.Sub(before.time).Seconds()
	if res.Seconds > 0 {
		res.TPS = float64(res.Committed) / res.Seconds
	}
}

func (res *Result) fail(reason string) {
	res.Failed++
	res.Failures[reason]++
}

// Backoff bounds for a full mempool or a failing RPC.
const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = 2 * time.Second
	// maxRetries bounds the re-tries of one tx after an RPC error or a stale sequence.
	maxRetries = 10
)

// worker sends quota txs from account i, one at a time, through the account's tx client
// (fixed gas, no wait for the block: the follower counts commits).
func (r *runner) worker(ctx context.Context, i, quota int) {
	c := txclient.New(r.enc, r.chainID, r.n.tx, r.signers[i], txclient.Options{
		Gas: r.gas, Retries: maxRetries, Backoff: minBackoff, MaxBackoff: maxBackoff,
	})
	msg := r.message(i)
	for done := 0; done < quota; done++ {
		if ctx.Err() != nil {
			r.record(i, nil, fmt.Sprintf("not sent: %v", ctx.Err()), 0, 0)
			continue
		}
		full, resyncs := c.MempoolFullCount(), c.MismatchCount()
		hash, err := c.Broadcast(ctx, msg)
		r.record(i, hash, failureReason(err), c.MempoolFullCount()-full, c.MismatchCount()-resyncs)
	}
}

// failureReason groups a failed broadcast by what went wrong ("" for none).
func failureReason(err error) string {
	var check *txclient.CheckTxError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "not sent: " + err.Error()
	case errors.As(err, &check):
		return fmt.Sprintf("checktx %s/%d: %s", check.Codespace, check.Code, reasonOf(check.Log))
	default:
		return "broadcast: " + reasonOf(err.Error())
	}
}

// record notes load account i's broadcast: accepted with its hash, or failed.
func (r *runner) record(i int, hash []byte, reason string, mempoolFull, resyncs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.MempoolFullRetries += mempoolFull
	r.res.SequenceResyncs += resyncs
	if hash != nil {
		r.res.Sent++
		r.accepted = append(r.accepted, hash)
		if r.job != nil {
			r.job.ours[string(hash)] = i
		}
		return
	}
	r.res.fail(reason)
}

// reasonOf shortens an error log to the registered error's description (the SDK puts
// it last, after the details that differ from tx to tx), so that failures group.
func reasonOf(log string) string {
	log = strings.TrimSpace(log)
	if i := strings.LastIndex(log, ": "); i >= 0 && i+2 < len(log) {
		log = log[i+2:]
	}
	if len(log) > 120 {
		log = log[:120] + "..."
	}
	return log
}
