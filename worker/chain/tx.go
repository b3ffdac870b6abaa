package chain

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Signer signs transactions with one keyring key and tracks its account sequence.
// Send calls are serialized, so concurrent callers never reuse a sequence.
type Signer struct {
	c       *Client
	kr      keyring.Keyring
	name    string
	addr    sdk.AccAddress
	pub     cryptotypes.PubKey
	gasAdj  float64
	prices  sdk.DecCoins
	mu      sync.Mutex
	known   bool // accNum/seq are loaded
	accNum  uint64
	seq     uint64
	Retries int           // broadcast attempts on a sequence mismatch (default 5)
	Backoff time.Duration // first retry delay, doubled each time (default 300ms)
	// TxTimeout bounds the wait for a broadcast transaction to be included (default 60s).
	TxTimeout time.Duration
	// Logf, when set, reports retries.
	Logf       func(format string, args ...any)
	mismatches int
}

// MismatchCount is how many sequence mismatches Send has recovered from or given up on.
func (s *Signer) MismatchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mismatches
}

// OpenKeyring opens a keyring folder with the app's codec.
func OpenKeyring(backend, dir string) (keyring.Keyring, error) {
	kr, err := keyring.New(sdk.KeyringServiceName(), backend, dir, nil, Encoding().Codec)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s (%s): %w", dir, backend, err)
	}
	return kr, nil
}

// NewSigner returns a signer for the key name; gasPrices may be empty (no fee).
func NewSigner(c *Client, kr keyring.Keyring, name, gasPrices string, gasAdjustment float64) (*Signer, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("worker key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, fmt.Errorf("worker key %q: %w", name, err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("worker key %q: %w", name, err)
	}
	var prices sdk.DecCoins
	if gasPrices != "" {
		if prices, err = sdk.ParseDecCoins(gasPrices); err != nil {
			return nil, fmt.Errorf("gas prices %q: %w", gasPrices, err)
		}
	}
	if gasAdjustment < 1 {
		gasAdjustment = 1
	}
	return &Signer{c: c, kr: kr, name: name, addr: addr, pub: pub, gasAdj: gasAdjustment, prices: prices,
		Retries: 5, Backoff: 300 * time.Millisecond, TxTimeout: 60 * time.Second}, nil
}

// AuditKey derives the worker's X25519 audit key from its keyring key: the key signs a
// fixed domain string (secp256k1 signing is deterministic, RFC 6979) and the signature
// seeds the X25519 key, so the worker keeps no second secret.
func (s *Signer) AuditKey() (priv, pub *[32]byte, err error) {
	sig, _, err := s.kr.Sign(s.name, []byte(verifytypes.AuditKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, nil, fmt.Errorf("derive audit key from %q: %w", s.name, err)
	}
	return verifytypes.DeriveAuditKey(sig)
}

// Address is the signer's bech32 address.
func (s *Signer) Address() string { return s.addr.String() }

// TxResult is an included transaction.
type TxResult struct {
	Hash   string
	Height int64
	Code   uint32
	Log    string
}

// ErrTxFailed: the transaction was included but its execution failed.
var ErrTxFailed = errors.New("transaction failed")

// Send signs msgs, broadcasts them and waits until the transaction is included. A
// sequence mismatch at CheckTx re-queries the account and retries with backoff.
// beforeBroadcast, when set, is called with each signed transaction's hash (upper-case
// hex) before it is broadcast; an error from it aborts the send.
func (s *Signer) Send(ctx context.Context, beforeBroadcast func(txHash string) error, msgs ...sdk.Msg) (TxResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delay := s.Backoff
	var lastErr error
	for attempt := 0; attempt <= s.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return TxResult{}, ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
		if !s.known {
			accNum, seq, err := s.c.Account(ctx, s.addr.String())
			if err != nil {
				lastErr = err
				continue
			}
			s.accNum, s.seq, s.known = accNum, seq, true
		}
		txBytes, err := s.build(ctx, msgs)
		if err != nil {
			if isSequenceMismatch(err) {
				s.mismatch(err)
				s.known, lastErr = false, err
				continue
			}
			return TxResult{}, err
		}
		if beforeBroadcast != nil {
			if err := beforeBroadcast(strings.ToUpper(hex.EncodeToString(cmttypes.Tx(txBytes).Hash()))); err != nil {
				return TxResult{}, err
			}
		}
		res, err := s.c.rpc.BroadcastTxSync(ctx, cmttypes.Tx(txBytes))
		if err != nil {
			// Unknown whether the node took it: re-query the sequence before the next try.
			s.known, lastErr = false, fmt.Errorf("broadcast: %w", err)
			continue
		}
		if res.Code == sdkerrors.ErrWrongSequence.ABCICode() && res.Codespace == sdkerrors.RootCodespace {
			lastErr = fmt.Errorf("sequence mismatch: %s", res.Log)
			s.mismatch(lastErr)
			s.known = false
			continue
		}
		if res.Code != 0 {
			return TxResult{}, fmt.Errorf("%w at check: code %d (%s): %s", ErrTxFailed, res.Code, res.Codespace, res.Log)
		}
		s.seq++
		hash := hex.EncodeToString(res.Hash)
		return s.waitTx(ctx, res.Hash, hash)
	}
	return TxResult{}, fmt.Errorf("send failed after %d attempts: %w", s.Retries+1, lastErr)
}

func (s *Signer) mismatch(err error) {
	s.mismatches++
	if s.Logf != nil {
		s.Logf("sequence %d rejected, re-querying the account: %v", s.seq, err)
	}
}

func isSequenceMismatch(err error) bool {
	return err != nil && strings.Contains(err.Error(), "account sequence mismatch")
}

// build signs msgs at the current sequence: once with a guessed gas limit to simulate,
// then with the simulated gas times the adjustment.
func (s *Signer) build(ctx context.Context, msgs []sdk.Msg) ([]byte, error) {
	probe, err := s.sign(ctx, msgs, 10_000_000, nil)
	if err != nil {
		return nil, err
	}
	sim, err := txtypes.NewServiceClient(s.c.grpc).Simulate(ctx, &txtypes.SimulateRequest{TxBytes: probe})
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	gas := uint64(math.Ceil(float64(sim.GasInfo.GasUsed)*s.gasAdj)) + auditGasMargin(msgs)
	var fee sdk.Coins
	for _, p := range s.prices {
		amt := p.Amount.MulInt64(int64(gas)).Ceil().TruncateInt()
		if amt.IsPositive() {
			fee = fee.Add(sdk.NewCoin(p.Denom, amt))
		}
	}
	return s.sign(ctx, msgs, gas, fee)
}

// AuditGasMargin is added per audit message of a transaction: the message that completes
// a phase also runs the next step (opening the reveal phase, or the verdict with its
// settlement, payouts and slashes), which a simulation made before the other parties'
// messages landed did not see.
const AuditGasMargin = 400_000

func auditGasMargin(msgs []sdk.Msg) uint64 {
	var n uint64
	for _, m := range msgs {
		switch m.(type) {
		case *verifytypes.MsgOpenAudit, *verifytypes.MsgCommitVerification, *verifytypes.MsgReveal:
			n++
		}
	}
	return n * AuditGasMargin
}

func (s *Signer) sign(ctx context.Context, msgs []sdk.Msg, gas uint64, fee sdk.Coins) ([]byte, error) {
	enc := s.c.enc
	txb := enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(gas)
	txb.SetFeeAmount(fee)
	// The signer info is part of the signed bytes, so it is set first with no signature.
	sig := signing.SignatureV2{
		PubKey:   s.pub,
		Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT},
		Sequence: s.seq,
	}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	data := authsigning.SignerData{
		Address: s.addr.String(), ChainID: s.c.chainID, AccountNumber: s.accNum, Sequence: s.seq, PubKey: s.pub,
	}
	signBytes, err := authsigning.GetSignBytesAdapter(ctx, enc.TxConfig.SignModeHandler(),
		signing.SignMode_SIGN_MODE_DIRECT, data, txb.GetTx())
	if err != nil {
		return nil, err
	}
	raw, _, err := s.kr.Sign(s.name, signBytes, signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, fmt.Errorf("sign with %q: %w", s.name, err)
	}
	sig.Data = &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: raw}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	return enc.TxConfig.TxEncoder()(txb.GetTx())
}

// waitTx polls for the transaction until it is included or TxTimeout passes.
func (s *Signer) waitTx(ctx context.Context, hash []byte, hexHash string) (TxResult, error) {
	deadline := time.Now().Add(s.TxTimeout)
	for {
		res, err := s.c.rpc.Tx(ctx, hash, false)
		if err == nil && res != nil {
			out := TxResult{Hash: strings.ToUpper(hexHash), Height: res.Height, Code: res.TxResult.Code, Log: res.TxResult.Log}
			if res.TxResult.Code != 0 {
				// A failed tx still used the sequence.
				return out, fmt.Errorf("%w: code %d (%s): %s", ErrTxFailed, res.TxResult.Code, res.TxResult.Codespace, res.TxResult.Log)
			}
			return out, nil
		}
		if time.Now().After(deadline) {
			// The sequence may or may not have been used.
			s.known = false
			return TxResult{Hash: strings.ToUpper(hexHash)}, fmt.Errorf("transaction %s not included after %s", strings.ToUpper(hexHash), s.TxTimeout)
		}
		select {
		case <-ctx.Done():
			s.known = false
			return TxResult{Hash: strings.ToUpper(hexHash)}, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
