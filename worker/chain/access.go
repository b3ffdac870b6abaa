package chain

import (
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc"

	"github.com/sovra-network/sovra/txclient"
)

// Conn is the gRPC connection, for the query clients of any module.
func (c *Client) Conn() *grpc.ClientConn { return c.grpc }

// RPC is the CometBFT RPC client (status, transaction search).
func (c *Client) RPC() *rpchttp.HTTP { return c.rpc }

// TxNode is what a txclient.Client needs of the node.
func (c *Client) TxNode() txclient.Node { return c.tx }
