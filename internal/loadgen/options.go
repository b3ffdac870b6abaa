// Package loadgen measures the committed-transaction throughput of one message kind
// against a running Sovra node, or the throughput of whole jobs (kind job).
//
// It derives K accounts from a seed, funds them from a keyring key, then runs one
// goroutine per account that signs transactions offline (SIGN_MODE_DIRECT, increasing
// sequences, a fixed gas limit measured once by simulation, no fee) and broadcasts them
// with broadcast_tx_sync. A block follower reads every block (/block, /block_results)
// from the start of the run, so a transaction counts as committed only when its hash is
// in a block with result code 0. Throughput is committed txs divided by the time from the
// block before the first one holding a load tx to the last one.
//
// Kind job runs the whole job lifecycle: the accounts submit jobs as for submit-job, and
// a scripted worker per provider (its worker key from the keyring) follows the blocks'
// EventJobAssigned and commits the results of its jobs in MsgCommitResult batches of up
// to max_results_per_commit, with valid fields but no inference; the run ends when every
// job is settled (or drawn for audit by x/verify: such a job stays open until its audit
// ends, which needs real verifiers, and is counted apart). Jobs settled per second is
// settled jobs divided by the time from the block before the first submission's to the
// block that settled the last one (job.go).
package loadgen

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// Kind is the message every load transaction carries (one message per tx).
type Kind string

const (
	// KindSend is a bank MsgSend of SendAmount to the next load account.
	KindSend Kind = "send"
	// KindSubmitJob is a task MsgSubmitJob for ModelID.
	KindSubmitJob Kind = "submit-job"
	// KindJob submits jobs as KindSubmitJob does and has scripted workers commit their
	// results until every job is settled: the whole job's throughput.
	KindJob Kind = "job"
)

// Kinds lists the supported kinds.
var Kinds = []Kind{KindSend, KindSubmitJob, KindJob}

// Options configure Run. Zero values take the defaults listed per field.
type Options struct {
	// RPC is the CometBFT RPC URL (required), e.g. http://127.0.0.1:26657.
	RPC string
	// GRPC is the node's gRPC address (host:port) for account, balance and simulate
	// queries. Empty: the same queries go through RPC's abci_query.
	GRPC string
	// ChainID; empty reads it from the node's /status.
	ChainID string
	// Denom of fees, funding and job fees (default usovra).
	Denom string

	// Kind of message (required).
	Kind Kind
	// Count is the total number of load transactions N (required, > 0).
	Count int
	// Concurrency is the number of accounts K, one broadcasting goroutine each
	// (default 4). Ignored when Keys is set.
	Concurrency int
	// Seed names the deterministic account set (default "sovra-loadgen"); account i's
	// key is secp256k1 from the secret "<Seed>/<i>". Runs with the same seed reuse the
	// same accounts (their sequences are read from the chain).
	Seed string
	// Keys, when set, are the signer keys to use instead of derived ones.
	Keys []*secp256k1.PrivKey

	// KeyringDir is the --home holding the funder's (and provider's) keys.
	KeyringDir string
	// KeyringBackend (default "test").
	KeyringBackend string
	// FunderKey names the keyring key that tops up the load accounts. Empty: the
	// accounts must already hold enough.
	FunderKey string
	// FundAmount is what each account is topped up to, in Denom. 0: enough for its
	// share of Count at the per-tx cost, plus a margin.
	FundAmount int64

	// SendAmount is each MsgSend's amount (default 1).
	SendAmount int64

	// ModelID of the jobs (default "demo-tiny").
	ModelID string
	// Prompt of every job (default "loadgen").
	Prompt string
	// MaxOutputTokens of every job (default 16).
	MaxOutputTokens uint64
	// MaxFee of every job in Denom. 0: the cheapest active provider's price for the
	// prompt and output bound.
	MaxFee int64
	// DeadlineBlocks of every job. 0: the chain's max_deadline_blocks, so that no job of
	// the run expires (and jails the provider) while the run lasts.
	DeadlineBlocks uint64
	// ProviderKey, when set, registers a provider for ModelID from this keyring key if
	// none is active (a submit-job tx fails without one).
	ProviderKey string
	// Workers are the keyring keys of the scripted workers of kind job (default:
	// ProviderKey). Each must be the worker of an active provider of ModelID; a key that
	// is nobody's worker yet registers itself as a provider (operator and worker) first.
	// Every active provider of the model needs one, or its jobs would never be committed.
	Workers []string

	// GasLimit per tx. 0: simulate one tx of the kind and multiply by GasAdjustment.
	GasLimit uint64
	// GasAdjustment of the simulated gas (default 1.5).
	GasAdjustment float64

	// CommitTimeout bounds the wait for accepted txs to appear in blocks after the
	// last broadcast (default 60s), and, for kind job, the wait for the next job to end
	// once they are.
	CommitTimeout time.Duration
	// PollInterval is how often the block follower asks for the latest height
	// (default 200ms; 50ms for kind job).
	PollInterval time.Duration

	// Log receives progress lines (nil: silent).
	Log io.Writer
}

// DefaultSeed names the default deterministic account set.
const DefaultSeed = "sovra-loadgen"

func (o *Options) setDefaults() {
	if o.Denom == "" {
		o.Denom = "usovra"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if len(o.Keys) > 0 {
		o.Concurrency = len(o.Keys)
	}
	if o.Seed == "" {
		o.Seed = DefaultSeed
	}
	if o.KeyringBackend == "" {
		o.KeyringBackend = "test"
	}
	if o.SendAmount <= 0 {
		o.SendAmount = 1
	}
	if o.ModelID == "" {
		o.ModelID = "demo-tiny"
	}
	if o.Prompt == "" {
		o.Prompt = "loadgen"
	}
	if o.MaxOutputTokens == 0 {
		o.MaxOutputTokens = 16
	}
	if o.GasAdjustment <= 0 {
		o.GasAdjustment = 1.5
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 60 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
		if o.Kind == KindJob {
			// The scripted workers learn of their jobs from the follower: the sooner it
			// sees a block, the likelier their commits make the next one.
			o.PollInterval = 50 * time.Millisecond
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if len(o.Workers) == 0 && o.ProviderKey != "" {
		o.Workers = []string{o.ProviderKey}
	}
}

func (o *Options) validate() error {
	var errs []error
	if o.RPC == "" {
		errs = append(errs, errors.New("RPC address is required"))
	}
	switch o.Kind {
	case KindSend, KindSubmitJob:
	case KindJob:
		if len(o.Workers) == 0 {
			errs = append(errs, errors.New("kind job needs worker keys (--workers, or --provider-key)"))
		}
		if o.KeyringDir == "" {
			errs = append(errs, errors.New("kind job needs the keyring dir (--home) of its worker keys"))
		}
	default:
		errs = append(errs, fmt.Errorf("kind %q: must be one of %v", o.Kind, Kinds))
	}
	if o.Count <= 0 {
		errs = append(errs, fmt.Errorf("count must be positive, got %d", o.Count))
	}
	if (o.FunderKey != "" || o.ProviderKey != "") && o.KeyringDir == "" {
		errs = append(errs, errors.New("a funder or provider key needs the keyring dir (--home)"))
	}
	if o.FundAmount < 0 || o.MaxFee < 0 {
		errs = append(errs, errors.New("fund amount and max fee cannot be negative"))
	}
	return errors.Join(errs...)
}
