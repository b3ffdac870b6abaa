package txclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

// Node is what the client needs of a node. NewNode builds it from a gRPC connection and
// a CometBFT RPC client; tests use fakes.
type Node interface {
	// Account returns an address's account number and committed sequence.
	Account(ctx context.Context, addr string) (number, sequence uint64, err error)
	// Simulate returns the gas a signed transaction uses.
	Simulate(ctx context.Context, txBytes []byte) (gasUsed uint64, err error)
	// BroadcastSync hands a transaction to the mempool and returns CheckTx's answer.
	BroadcastSync(ctx context.Context, txBytes []byte) (CheckResult, error)
	// Tx returns the transaction with this hash once it is in a block; ErrNotFound
	// until then.
	Tx(ctx context.Context, hash []byte) (Result, error)
}

// CheckResult is CheckTx's answer to a broadcast.
type CheckResult struct {
	Hash      []byte
	Code      uint32
	Codespace string
	Log       string
}

// Result is a transaction in a block.
type Result struct {
	Hash      string // upper-case hex
	Height    int64
	Code      uint32
	Codespace string
	Log       string
	GasWanted int64
	GasUsed   int64
	Events    []abci.Event
}

// ErrNotFound: the node has no such transaction in a block (yet).
var ErrNotFound = errors.New("transaction not found")

// ErrNoAccount: the address has no account on chain, so it cannot sign (the ante handler
// needs its account number). An address gets its account when it first receives coins.
var ErrNoAccount = errors.New("has no account on chain: fund the address first (an account exists once it has received coins)")

// isNotFound tells an account query's "no such account" (gRPC NotFound, or the SDK's
// key-not-found over an ABCI query) from other failures.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	return status.Code(err) == codes.NotFound || errors.Is(err, sdkerrors.ErrKeyNotFound)
}

// RPC is the part of a CometBFT RPC client the client uses; *rpchttp.HTTP and the
// CLI's client.CometRPC both satisfy it.
type RPC interface {
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	Tx(ctx context.Context, hash []byte, prove bool) (*coretypes.ResultTx, error)
}

// NewNode queries over conn (a gRPC connection, or the CLI's client.Context) and
// broadcasts over rpc.
func NewNode(conn gogogrpc.ClientConn, rpc RPC) Node { return node{conn: conn, rpc: rpc} }

type node struct {
	conn gogogrpc.ClientConn
	rpc  RPC
}

func (n node) Account(ctx context.Context, addr string) (uint64, uint64, error) {
	res, err := authtypes.NewQueryClient(n.conn).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: addr})
	if isNotFound(err) {
		return 0, 0, fmt.Errorf("%s %w", addr, ErrNoAccount)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("account %s: %w", addr, err)
	}
	if res.Info == nil {
		return 0, 0, fmt.Errorf("account %s: empty answer", addr)
	}
	return res.Info.AccountNumber, res.Info.Sequence, nil
}

func (n node) Simulate(ctx context.Context, txBytes []byte) (uint64, error) {
	res, err := txtypes.NewServiceClient(n.conn).Simulate(ctx, &txtypes.SimulateRequest{TxBytes: txBytes})
	if err != nil {
		return 0, fmt.Errorf("simulate: %w", err)
	}
	if res.GasInfo == nil {
		return 0, errors.New("simulate: no gas info in the answer")
	}
	return res.GasInfo.GasUsed, nil
}

func (n node) BroadcastSync(ctx context.Context, txBytes []byte) (CheckResult, error) {
	res, err := n.rpc.BroadcastTxSync(ctx, cmttypes.Tx(txBytes))
	if err != nil {
		return CheckResult{}, err
	}
	return CheckResult{Hash: res.Hash, Code: res.Code, Codespace: res.Codespace, Log: res.Log}, nil
}

func (n node) Tx(ctx context.Context, hash []byte) (Result, error) {
	res, err := n.rpc.Tx(ctx, hash, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return Result{}, ErrNotFound
		}
		return Result{}, err
	}
	if res == nil {
		return Result{}, ErrNotFound
	}
	r := res.TxResult
	return Result{
		Hash: strings.ToUpper(fmt.Sprintf("%x", hash)), Height: res.Height, Code: r.Code, Codespace: r.Codespace,
		Log: r.Log, GasWanted: r.GasWanted, GasUsed: r.GasUsed, Events: r.Events,
	}, nil
}
