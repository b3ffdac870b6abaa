package chain

import (
	"context"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/sovra-network/sovra/txclient"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Signer sends the worker key's transactions through the project's tx client (sign, gas
// by simulation, sequence recovery, wait for the block). Send calls are serialized, so
// concurrent callers never reuse a sequence.
type Signer struct {
	tx   *txclient.Client
	kr   keyring.Keyring
	name string
	// Logf, when set, reports retries.
	Logf func(format string, args ...any)
}

// TxResult is an included transaction.
type TxResult = txclient.Result

// ErrTxFailed: the transaction was refused at CheckTx or failed in its block.
var ErrTxFailed = txclient.ErrTxFailed

// OpenKeyring opens a keyring folder with the chain's codec.
func OpenKeyring(backend, dir string) (keyring.Keyring, error) {
	return txclient.OpenKeyring(backend, dir, nil)
}

// NewSigner returns a signer for the key name; gasPrices may be empty (no fee).
func NewSigner(c *Client, kr keyring.Keyring, name, gasPrices string, gasAdjustment float64) (*Signer, error) {
	key, err := txclient.KeyringKey(kr, name)
	if err != nil {
		return nil, fmt.Errorf("worker %w", err)
	}
	var prices sdk.DecCoins
	if gasPrices != "" {
		if prices, err = sdk.ParseDecCoins(gasPrices); err != nil {
			return nil, fmt.Errorf("gas prices %q: %w", gasPrices, err)
		}
	}
	s := &Signer{kr: kr, name: name}
	s.tx = txclient.New(c.enc, c.chainID, c.tx, key, txclient.Options{
		GasAdjustment: gasAdjustment, GasPrices: prices, ExtraGas: auditGasMargin,
		Retries: 5, Backoff: 300 * time.Millisecond, TxTimeout: 60 * time.Second,
		Logf: func(format string, args ...any) {
			if s.Logf != nil {
				s.Logf(format, args...)
			}
		},
	})
	return s, nil
}

// Send signs msgs, broadcasts them and waits until the transaction is included (see
// txclient.Client.Send).
func (s *Signer) Send(ctx context.Context, beforeBroadcast func(txHash string) error, msgs ...sdk.Msg) (TxResult, error) {
	return s.tx.Send(ctx, beforeBroadcast, msgs...)
}

// SendCoSigned is Send for a transaction that other keys of the signer's keyring sign
// too, named by coSigners (a provider registration is signed by its worker): see
// txclient.Client.SendCoSigned.
func (s *Signer) SendCoSigned(ctx context.Context, coSigners []string, msgs ...sdk.Msg) (TxResult, error) {
	keys := make([]txclient.Key, 0, len(coSigners))
	for _, name := range coSigners {
		k, err := txclient.KeyringKey(s.kr, name)
		if err != nil {
			return TxResult{}, err
		}
		keys = append(keys, k)
	}
	return s.tx.SendCoSigned(ctx, keys, msgs...)
}

// MismatchCount is how many sequence mismatches Send has recovered from or given up on.
func (s *Signer) MismatchCount() int { return s.tx.MismatchCount() }

// Address is the signer's bech32 address.
func (s *Signer) Address() string { return s.tx.Address() }

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
