package worker

import (
	"context"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/worker/chain"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// What the worker's loop depends on, as small interfaces (dYdX's daemons do the same): what
// it reads from the chain and what it sends. New connects the real ones (*chain.Client,
// *chain.Signer); the unit tests (loop_unit_test.go) pass in-memory fakes, so the loop's
// logic is tested in milliseconds and the processes are left to the end-to-end tests.

// JobReader reads the jobs assigned to a provider and one job's state.
type JobReader interface {
	AssignedJobs(ctx context.Context, provider string) ([]tasktypes.Job, error)
	Job(ctx context.Context, id uint64) (tasktypes.Job, error)
}

// AuditReader reads the open audits a provider is party to (as drawn verifier, and of its
// own jobs).
type AuditReader interface {
	AuditsOf(ctx context.Context, operator string) (asVerifier, asProvider []verifytypes.Audit, err error)
}

// ProviderReader reads providers (a verifier's audit key, the worker's own registration)
// and models (their registered sha256, checked at start).
type ProviderReader interface {
	Provider(ctx context.Context, addr string) (providertypes.Provider, error)
	Model(ctx context.Context, id string) (providertypes.Model, error)
}

// BlockFollower tells the worker the chain's height: Status when polling, Follow for a
// subscription that calls onBlock with each new block until it fails or ctx ends (it
// always returns a non-nil error saying why it stopped).
type BlockFollower interface {
	Status(ctx context.Context) (chainID string, height int64, err error)
	Follow(ctx context.Context, idle time.Duration, onBlock func(chain.Block)) error
}

// ChainReader is everything the worker reads from the chain.
type ChainReader interface {
	JobReader
	AuditReader
	ProviderReader
	BlockFollower
}

// TxSender signs and sends the worker's transactions with the worker key.
//
// Send broadcasts msgs in one transaction and waits until it is included. beforeBroadcast,
// when set, is called with the signed transaction's hash before it is broadcast; an error
// from it aborts the send. An error wrapping chain.ErrTxFailed with a result of Height > 0
// means the transaction was included and failed (nothing is in flight); any other error
// leaves it unknown whether a transaction is in a mempool. Sequence mismatches are the
// sender's to recover from; MismatchCount counts them.
type TxSender interface {
	Send(ctx context.Context, beforeBroadcast func(txHash string) error, msgs ...sdk.Msg) (chain.TxResult, error)
	// Address is the worker key's bech32 address (the signer of every message).
	Address() string
	// AuditKey is the worker's X25519 audit key pair, derived from the worker key.
	AuditKey() (priv, pub *[32]byte, err error)
	MismatchCount() int
}

// The production implementations.
var (
	_ ChainReader = (*chain.Client)(nil)
	_ TxSender    = (*chain.Signer)(nil)
)
