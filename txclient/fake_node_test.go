package txclient_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
)

// fakeNode is a chain of one account (answering for any address), plus co-signers'
// accounts when set, that checks sequences the way the ante handler does and includes
// every accepted transaction at once.
type fakeNode struct {
	t   *testing.T
	enc params.EncodingConfig

	mu        sync.Mutex
	number    uint64
	seq       uint64                  // the chain's next expected sequence
	others    map[string]*fakeAccount // co-signers' accounts, by address
	missing   map[string]bool         // addresses without an account
	signers   [][]string              // signer addresses of accepted transactions, in order
	gasUsed   uint64
	included  map[string]txclient.Result
	accepted  []uint64 // sequences of accepted transactions, in order
	gasLimits []uint64
	fees      []sdk.Coins
	accounts  int // Account calls
	// scripted broadcast answers, consumed first
	script []func() (txclient.CheckResult, error)
	// failInBlock makes accepted transactions fail in their block
	failInBlock bool
}

// fakeAccount is a co-signer's account.
type fakeAccount struct{ number, seq uint64 }

func newFakeNode(t *testing.T) *fakeNode {
	return &fakeNode{
		t: t, enc: params.Encoding(), number: 7, gasUsed: 100_000, included: map[string]txclient.Result{},
		others: map[string]*fakeAccount{}, missing: map[string]bool{},
	}
}

func (n *fakeNode) Account(_ context.Context, addr string) (uint64, uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.accounts++
	if n.missing[addr] {
		return 0, 0, fmt.Errorf("%s %w", addr, txclient.ErrNoAccount)
	}
	if a, ok := n.others[addr]; ok {
		return a.number, a.seq, nil
	}
	return n.number, n.seq, nil
}

func (n *fakeNode) Simulate(_ context.Context, txBytes []byte) (uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if mismatch := n.checkSequences(txBytes); mismatch != "" {
		return 0, errors.New(mismatch)
	}
	return n.gasUsed, nil
}

// checkSequences compares each signature's sequence with its account's, as the ante
// handler does, and returns the first mismatch's log ("" if none). The first signature
// is the primary account's; the others are co-signers' when their address is known.
func (n *fakeNode) checkSequences(txBytes []byte) string {
	for i, sig := range n.signatures(txBytes) {
		want := n.seq
		if a, ok := n.others[sdk.AccAddress(sig.PubKey.Address()).String()]; ok && i > 0 {
			want = a.seq
		}
		if sig.Sequence != want {
			return fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", want, sig.Sequence)
		}
	}
	return ""
}

func (n *fakeNode) signatures(txBytes []byte) []signing.SignatureV2 {
	tx, err := n.enc.TxConfig.TxDecoder()(txBytes)
	require.NoError(n.t, err)
	sigs, err := tx.(authsigning.Tx).GetSignaturesV2()
	require.NoError(n.t, err)
	return sigs
}

func (n *fakeNode) BroadcastSync(_ context.Context, txBytes []byte) (txclient.CheckResult, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.script) > 0 {
		next := n.script[0]
		n.script = n.script[1:]
		return next()
	}
	hash := sha256.Sum256(txBytes)
	if mismatch := n.checkSequences(txBytes); mismatch != "" {
		return txclient.CheckResult{
			Hash: hash[:], Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(), Log: mismatch,
		}, nil
	}
	tx, err := n.enc.TxConfig.TxDecoder()(txBytes)
	require.NoError(n.t, err)
	feeTx := tx.(sdk.FeeTx)
	n.accepted = append(n.accepted, n.seq)
	n.gasLimits = append(n.gasLimits, feeTx.GetGas())
	n.fees = append(n.fees, feeTx.GetFee())
	n.seq++
	var signers []string
	for i, sig := range n.signatures(txBytes) {
		addr := sdk.AccAddress(sig.PubKey.Address()).String()
		signers = append(signers, addr)
		if a, ok := n.others[addr]; ok && i > 0 {
			a.seq++
		}
	}
	n.signers = append(n.signers, signers)
	res := txclient.Result{Height: 10, Hash: strings.ToUpper(fmt.Sprintf("%x", hash))}
	if n.failInBlock {
		res.Code, res.Codespace, res.Log = 5, "bank", "insufficient funds"
	}
	n.included[string(hash[:])] = res
	return txclient.CheckResult{Hash: hash[:]}, nil
}

func (n *fakeNode) Tx(_ context.Context, hash []byte) (txclient.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r, ok := n.included[string(hash)]; ok {
		return r, nil
	}
	return txclient.Result{}, txclient.ErrNotFound
}
