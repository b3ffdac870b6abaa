package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// blockInfo is what the follower keeps of one block.
type blockInfo struct {
	time time.Time
	txs  int
}

// txOutcome is where and how a tx was executed.
type txOutcome struct {
	height    int64
	code      uint32
	codespace string
	log       string
}

// blockObserver sees each block the follower reads, in height order: the hashes of its
// txs and its results (tx results and block events). An error (events that do not decode)
// makes the follower read the block again, so an observer applies nothing before it
// knows the block is good.
type blockObserver func(h int64, txHashes [][]byte, res *coretypes.ResultBlockResults) error

// follower reads every block after a start height (/block for the tx hashes and the
// header time, /block_results for the result codes) and remembers every tx it saw, so a
// tx broadcast at any time can be looked up by hash. With an observer it reads the
// results of every block, empty ones included (their block events), and hands them on.
type follower struct {
	n        *node
	interval time.Duration
	observe  blockObserver

	mu      sync.Mutex
	blocks  map[int64]blockInfo
	txs     map[string]txOutcome // by raw sha256 hash
	scanned int64                // last height read
	err     error                // a block that could not be read
}

func newFollower(ctx context.Context, n *node, start int64, interval time.Duration, observe blockObserver) (*follower, error) {
	f := &follower{n: n, interval: interval, observe: observe, blocks: map[int64]blockInfo{}, txs: map[string]txOutcome{}}
	// The start block is read too: its time is the start of the window when the first
	// load tx lands in the block right after it.
	// The node stores a block before its results, so a block that just appeared may
	// need a moment.
	var err error
	for try := 0; try < 50; try++ {
		if err = f.read(ctx, start); err == nil {
			f.scanned = start
			return f, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, err
}

// read fetches one block and its results.
func (f *follower) read(ctx context.Context, h int64) error {
	blk, err := f.n.rpc.Block(ctx, &h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	var codes []txOutcome
	hashes := make([][]byte, len(blk.Block.Txs))
	for i, tx := range blk.Block.Txs {
		hashes[i] = tx.Hash()
	}
	if len(blk.Block.Txs) > 0 || f.observe != nil {
		res, err := f.n.rpc.BlockResults(ctx, &h)
		if err != nil {
			return fmt.Errorf("block_results %d: %w", h, err)
		}
		if len(res.TxsResults) != len(blk.Block.Txs) {
			return fmt.Errorf("block %d: %d txs but %d results", h, len(blk.Block.Txs), len(res.TxsResults))
		}
		for _, r := range res.TxsResults {
			codes = append(codes, txOutcome{height: h, code: r.Code, codespace: r.Codespace, log: r.Log})
		}
		if f.observe != nil {
			if err := f.observe(h, hashes, res); err != nil {
				return fmt.Errorf("block %d: %w", h, err)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks[h] = blockInfo{time: blk.Block.Time, txs: len(blk.Block.Txs)}
	for i, hash := range hashes {
		f.txs[string(hash)] = codes[i]
	}
	return nil
}

// followerPatience is how long the follower keeps trying while the node answers nothing
// useful: a loaded node stores a block's results a while after the block itself.
const followerPatience = 20 * time.Second

// run follows the chain until ctx ends.
func (f *follower) run(ctx context.Context) {
	var failingSince time.Time
	for {
		if err := f.catchUp(ctx); err != nil && ctx.Err() == nil {
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) >= followerPatience {
				f.mu.Lock()
				f.err = err
				f.mu.Unlock()
				return
			}
		} else {
			failingSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(f.interval):
		}
	}
}

func (f *follower) catchUp(ctx context.Context) error {
	_, latest, err := f.n.status(ctx)
	if err != nil {
		return err
	}
	for h := f.height() + 1; h <= latest; h++ {
		if err := f.read(ctx, h); err != nil {
			return err
		}
		f.mu.Lock()
		f.scanned = h
		f.mu.Unlock()
	}
	return nil
}

func (f *follower) height() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scanned
}

// lookup returns the outcome of each hash found so far and how many are missing.
func (f *follower) lookup(hashes [][]byte) (found map[string]txOutcome, missing int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	found = make(map[string]txOutcome, len(hashes))
	for _, h := range hashes {
		if o, ok := f.txs[string(h)]; ok {
			found[string(h)] = o
		} else {
			missing++
		}
	}
	return found, missing, f.err
}

// failure is why the follower stopped (nil while it runs).
func (f *follower) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// waitFor waits until every hash is in a block, or until the deadline or ctx ends, and
// returns the outcomes found.
func (f *follower) waitFor(ctx context.Context, hashes [][]byte, deadline time.Time) (map[string]txOutcome, error) {
	for {
		found, missing, err := f.lookup(hashes)
		if missing == 0 || err != nil || time.Now().After(deadline) {
			return found, err
		}
		select {
		case <-ctx.Done():
			return found, ctx.Err()
		case <-time.After(f.interval):
		}
	}
}

// block returns a block read so far.
func (f *follower) block(h int64) (blockInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blocks[h]
	return b, ok
}
