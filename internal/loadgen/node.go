package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
)

// node talks to one sovrad: CometBFT RPC for broadcasts and blocks, and gRPC (or ABCI
// queries over RPC) for state.
type node struct {
	enc     params.EncodingConfig
	rpc     *rpchttp.HTTP
	queries client.Context // a gRPC ClientConn: gRPC when GRPC is set, else abci_query
	tx      txclient.Node
	grpc    *grpc.ClientConn
}

func dialNode(rpcAddr, grpcAddr string) (*node, error) {
	enc := params.Encoding()
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
	n.tx = txclient.NewNode(n.queries, rc)
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
