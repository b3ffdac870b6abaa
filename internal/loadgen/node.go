package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
)

var (
	encOnce sync.Once
	encCfg  app.EncodingConfig
)

// Encoding returns the app's codecs, taken (like sovrad's root command) from a
// throwaway app so that every module's messages are registered.
func Encoding() app.EncodingConfig {
	encOnce.Do(func() {
		tmp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, noAppOptions{})
		encCfg = tmp.EncodingConfig()
	})
	return encCfg
}

type noAppOptions struct{}

func (noAppOptions) Get(string) any { return nil }

// node talks to one sovrad: CometBFT RPC for broadcasts and blocks, and gRPC (or ABCI
// queries over RPC) for state.
type node struct {
	enc     app.EncodingConfig
	rpc     *rpchttp.HTTP
	queries client.Context // a gRPC ClientConn: gRPC when GRPC is set, else abci_query
	grpc    *grpc.ClientConn
}

func dialNode(rpcAddr, grpcAddr string) (*node, error) {
	enc := Encoding()
	// Enough idle connections for every broadcaster plus the block follower, so that
	// load does not churn TCP connections.
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	rc, err := rpchttp.NewWithClient(rpcAddr, "/websocket", hc)
	if err != nil {
		return nil, fmt.Errorf("rpc client for %s: %w", rpcAddr, err)
	}
	n := &node{enc: enc, rpc: rc}
	n.queries = client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithClient(rc)
	if grpcAddr != "" {
		gc, err := grpc.NewClient(grpcAddr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.(codec.GRPCCodecProvider).GRPCCodec())))
		if err != nil {
			return nil, fmt.Errorf("grpc client for %s: %w", grpcAddr, err)
		}
		n.grpc = gc
		n.queries = n.queries.WithGRPCClient(gc)
	}
	return n, nil
}

func (n *node) close() {
	if n.grpc != nil {
		_ = n.grpc.Close()
	}
}

// status returns the chain id and latest height.
func (n *node) status(ctx context.Context) (string, int64, error) {
	st, err := n.rpc.Status(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("rpc status: %w", err)
	}
	return st.NodeInfo.Network, st.SyncInfo.LatestBlockHeight, nil
}

// account returns an address's account number and committed sequence.
func (n *node) account(ctx context.Context, addr string) (accNum, seq uint64, err error) {
	res, err := authtypes.NewQueryClient(n.queries).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: addr})
	if err != nil {
		return 0, 0, fmt.Errorf("account %s: %w", addr, err)
	}
	if res.Info == nil {
		return 0, 0, fmt.Errorf("account %s: empty answer", addr)
	}
	return res.Info.AccountNumber, res.Info.Sequence, nil
}

func (n *node) balance(ctx context.Context, addr, denom string) (math.Int, error) {
	res, err := banktypes.NewQueryClient(n.queries).Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr, Denom: denom})
	if err != nil {
		return math.Int{}, fmt.Errorf("balance of %s: %w", addr, err)
	}
	if res.Balance == nil {
		return math.ZeroInt(), nil
	}
	return res.Balance.Amount, nil
}

// simulate returns the gas a signed tx uses.
func (n *node) simulate(ctx context.Context, txBytes []byte) (uint64, error) {
	res, err := txtypes.NewServiceClient(n.queries).Simulate(ctx, &txtypes.SimulateRequest{TxBytes: txBytes})
	if err != nil {
		return 0, fmt.Errorf("simulate: %w", err)
	}
	return res.GasInfo.GasUsed, nil
}

func (n *node) broadcast(ctx context.Context, txBytes []byte) (*ctypes.ResultBroadcastTx, error) {
	return n.rpc.BroadcastTxSync(ctx, cmttypes.Tx(txBytes))
}
