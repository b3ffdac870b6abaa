package txclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/app/params"
)

// Options shape a Client's transactions and retries. Zero values take the defaults.
type Options struct {
	// Gas is a fixed gas limit; 0 sizes each transaction by simulation times
	// GasAdjustment (at least 1), plus ExtraGas(msgs) when set.
	Gas           uint64
	GasAdjustment float64
	ExtraGas      func(msgs []sdk.Msg) uint64
	// Fees is a fixed fee; when empty the fee is GasPrices × gas, rounded up.
	Fees      sdk.Coins
	GasPrices sdk.DecCoins
	Memo      string
	// Retries bounds the re-tries after a broadcast whose fate is unknown or a stale
	// sequence (default 5). A full mempool is waited out until ctx ends.
	Retries int
	// Backoff is the first delay before a retry (default 300ms), doubled up to MaxBackoff
	// (default 5s).
	Backoff, MaxBackoff time.Duration
	// TxTimeout bounds the wait for a broadcast transaction to be in a block (default 60s);
	// PollInterval is the wait between looks (default 200ms).
	TxTimeout, PollInterval time.Duration
	// Logf, when set, reports retries.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.GasAdjustment < 1 {
		o.GasAdjustment = 1
	}
	if o.Retries == 0 {
		o.Retries = 5
	}
	if o.Backoff == 0 {
		o.Backoff = 300 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.TxTimeout == 0 {
		o.TxTimeout = 60 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	return o
}

// Client sends the transactions of one account through one node.
type Client struct {
	enc     params.EncodingConfig
	chainID string
	node    Node
	key     Key
	opts    Options

	mu          sync.Mutex
	known       bool // number and seq are loaded
	number, seq uint64
	mismatches  int
	mempoolFull int
}

// New returns a client for key on chainID.
func New(enc params.EncodingConfig, chainID string, node Node, key Key, opts Options) *Client {
	return &Client{enc: enc, chainID: chainID, node: node, key: key, opts: opts.withDefaults()}
}

// Address is the account's bech32 address.
func (c *Client) Address() string { return c.key.Bech32() }

// MismatchCount is how many stale sequences the client has recovered from or given up on.
func (c *Client) MismatchCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mismatches
}

// MempoolFullCount is how many times a broadcast found the mempool full.
func (c *Client) MempoolFullCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mempoolFull
}

// ErrTxFailed: the transaction was refused at CheckTx or failed in its block.
var ErrTxFailed = errors.New("transaction failed")

// CheckTxError is CheckTx's refusal of a transaction.
type CheckTxError struct {
	Code      uint32
	Codespace string
	Log       string
}

func (e *CheckTxError) Error() string {
	return fmt.Sprintf("%v at check: code %d (%s): %s", ErrTxFailed, e.Code, e.Codespace, e.Log)
}

func (e *CheckTxError) Unwrap() error { return ErrTxFailed }

// Send signs msgs, broadcasts them and waits until the transaction is in a block. The
// result of a transaction that failed in its block comes with an error wrapping
// ErrTxFailed. beforeBroadcast, when set, sees each signed transaction's hash (upper-case
// hex) before it is broadcast; an error from it aborts the send.
func (c *Client) Send(ctx context.Context, beforeBroadcast func(txHash string) error, msgs ...sdk.Msg) (Result, error) {
	return c.send(ctx, beforeBroadcast, nil, msgs)
}

// SendCoSigned is Send for a transaction that other keys sign too: a provider
// registration or worker change is signed by the worker address it binds. The client's
// key signs first where the messages allow (SignMulti orders the signatures). The
// co-signers' account numbers and sequences are read from the node at every try, so
// another client may use those keys meanwhile; an account that does not exist yet is
// ErrNoAccount (fund the address first).
func (c *Client) SendCoSigned(ctx context.Context, coSigners []Key, msgs ...sdk.Msg) (Result, error) {
	return c.send(ctx, nil, coSigners, msgs)
}

func (c *Client) send(ctx context.Context, beforeBroadcast func(string) error, coSigners []Key, msgs []sdk.Msg) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hash, err := c.broadcast(ctx, beforeBroadcast, coSigners, msgs)
	if err != nil {
		return Result{}, err
	}
	res, err := Wait(ctx, c.node, hash, c.opts.TxTimeout, c.opts.PollInterval)
	if err != nil && !errors.Is(err, ErrTxFailed) {
		// Included or not, nobody knows: read the sequence again before the next send.
		c.known = false
	}
	return res, err
}

// Broadcast signs msgs and hands them to the mempool without waiting for a block; it
// returns the transaction's hash once CheckTx took it.
func (c *Client) Broadcast(ctx context.Context, msgs ...sdk.Msg) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broadcast(ctx, nil, nil, msgs)
}

// broadcast runs with c.mu held.
func (c *Client) broadcast(ctx context.Context, beforeBroadcast func(string) error, coSigners []Key, msgs []sdk.Msg) ([]byte, error) {
	delay := c.opts.Backoff
	wait := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, c.opts.MaxBackoff)
		return nil
	}
	var lastErr error
	for retries := 0; ; {
		if lastErr != nil {
			if retries >= c.opts.Retries {
				return nil, fmt.Errorf("send failed after %d attempts: %w", retries+1, lastErr)
			}
			retries++
			if err := wait(); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !c.known {
			number, seq, err := c.node.Account(ctx, c.Address())
			if errors.Is(err, ErrNoAccount) {
				return nil, err // no retry brings it into existence
			}
			if err != nil {
				lastErr = err
				continue
			}
			c.number, c.seq, c.known = number, seq, true
		}
		others, err := c.coSigners(ctx, coSigners)
		if errors.Is(err, ErrNoAccount) {
			return nil, fmt.Errorf("co-signer %w", err)
		}
		if err != nil {
			lastErr = err
			continue
		}
		txBytes, err := c.build(ctx, others, msgs)
		if err != nil {
			if isSequenceMismatch(err.Error()) {
				expected, ok := expectedSequence(err.Error())
				c.stale(err, expected, ok && len(others) == 0)
				lastErr = err
				continue
			}
			return nil, err
		}
		hash := sha256.Sum256(txBytes)
		if beforeBroadcast != nil {
			if err := beforeBroadcast(strings.ToUpper(hex.EncodeToString(hash[:]))); err != nil {
				return nil, err
			}
		}
		res, err := c.node.BroadcastSync(ctx, txBytes)
		switch {
		case err != nil && isMempoolFull(err.Error()), err == nil && isCode(res, sdkerrors.ErrMempoolIsFull):
			c.mempoolFull++
			if err := wait(); err != nil {
				return nil, err
			}
			lastErr = nil // waited already; a full mempool is not a failed attempt
		case err != nil && strings.Contains(err.Error(), "tx already exists in cache"):
			// An earlier try that seemed to fail was taken.
			c.seq++
			return hash[:], nil
		case err != nil:
			// Unknown whether the node took it: read the sequence again first.
			c.known, lastErr = false, fmt.Errorf("broadcast: %w", err)
		case isCode(res, sdkerrors.ErrWrongSequence):
			// With co-signers the log may be about one of them, whose sequence is read
			// again anyway: the client's own is re-read too rather than guessed.
			lastErr = fmt.Errorf("sequence mismatch: %s", res.Log)
			expected, ok := expectedSequence(res.Log)
			c.stale(lastErr, expected, ok && len(others) == 0)
		case res.Code != 0:
			return nil, &CheckTxError{Code: res.Code, Codespace: res.Codespace, Log: res.Log}
		default:
			c.seq++
			return hash[:], nil
		}
	}
}

// stale records a sequence the node refused; the next try uses the node's expected
// sequence when its log says it, else reads the account again.
func (c *Client) stale(err error, expected uint64, ok bool) {
	c.mismatches++
	if c.opts.Logf != nil {
		c.opts.Logf("sequence %d rejected, resyncing: %v", c.seq, err)
	}
	if ok {
		c.seq = expected
		return
	}
	c.known = false
}

// coSigners reads the account number and sequence of each co-signer.
func (c *Client) coSigners(ctx context.Context, keys []Key) ([]Signer, error) {
	out := make([]Signer, 0, len(keys))
	for _, k := range keys {
		number, seq, err := c.node.Account(ctx, k.Bech32())
		if err != nil {
			return nil, err
		}
		out = append(out, Signer{Key: k, Number: number, Sequence: seq})
	}
	return out, nil
}

// build signs msgs at the current sequence (with the co-signers, if any), with the gas
// limit fixed or found by simulating the transaction signed with a generous limit.
func (c *Client) build(ctx context.Context, others []Signer, msgs []sdk.Msg) ([]byte, error) {
	signTx := func(fee Fee) ([]byte, error) {
		if len(others) == 0 {
			return Sign(ctx, c.enc, c.key, Account{ChainID: c.chainID, Number: c.number, Sequence: c.seq}, fee, msgs...)
		}
		signers := append([]Signer{{Key: c.key, Number: c.number, Sequence: c.seq}}, others...)
		return SignMulti(ctx, c.enc, c.chainID, signers, fee, msgs...)
	}
	gas := c.opts.Gas
	if gas == 0 {
		probe, err := signTx(Fee{Gas: 10_000_000, Memo: c.opts.Memo})
		if err != nil {
			return nil, err
		}
		used, err := c.node.Simulate(ctx, probe)
		if err != nil {
			return nil, err
		}
		gas = uint64(math.Ceil(float64(used) * c.opts.GasAdjustment))
		if c.opts.ExtraGas != nil {
			gas += c.opts.ExtraGas(msgs)
		}
	}
	return signTx(Fee{Gas: gas, Amount: c.fee(gas), Memo: c.opts.Memo})
}

func (c *Client) fee(gas uint64) sdk.Coins {
	if !c.opts.Fees.IsZero() {
		return c.opts.Fees
	}
	var fee sdk.Coins
	for _, p := range c.opts.GasPrices {
		amt := p.Amount.MulInt64(int64(gas)).Ceil().TruncateInt()
		if amt.IsPositive() {
			fee = fee.Add(sdk.NewCoin(p.Denom, amt))
		}
	}
	return fee
}

// Wait polls node until the transaction is in a block or timeout passes. A transaction
// that failed in its block is returned with an error wrapping ErrTxFailed.
func Wait(ctx context.Context, node Node, hash []byte, timeout, poll time.Duration) (Result, error) {
	hexHash := strings.ToUpper(hex.EncodeToString(hash))
	deadline := time.Now().Add(timeout)
	for {
		res, err := node.Tx(ctx, hash)
		if err == nil {
			if res.Code != 0 {
				return res, fmt.Errorf("%w: code %d (%s): %s", ErrTxFailed, res.Code, res.Codespace, res.Log)
			}
			return res, nil
		}
		if time.Now().After(deadline) {
			return Result{Hash: hexHash}, fmt.Errorf("transaction %s not included after %s (last answer: %w)", hexHash, timeout, err)
		}
		select {
		case <-ctx.Done():
			return Result{Hash: hexHash}, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func isCode(res CheckResult, e interface{ ABCICode() uint32 }) bool {
	return res.Codespace == sdkerrors.RootCodespace && res.Code == e.ABCICode()
}

func isSequenceMismatch(s string) bool { return strings.Contains(s, "account sequence mismatch") }

func isMempoolFull(s string) bool { return strings.Contains(s, "mempool is full") }

var expectedSeqRe = regexp.MustCompile(`expected (\d+), got \d+`)

// expectedSequence reads the sequence the node wants from an "account sequence
// mismatch, expected N, got M" log.
func expectedSequence(log string) (uint64, bool) {
	m := expectedSeqRe.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseUint(m[1], 10, 64)
	return v, err == nil
}
