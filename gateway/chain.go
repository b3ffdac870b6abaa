package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/txclient"
	"github.com/sovra-network/sovra/worker/chain"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// txTimeout bounds the wait for a submission to be in a block.
const txTimeout = 60 * time.Second

// chainClient is the gateway's node: queries, the user's transactions and output key.
type chainClient struct {
	node *chain.Client
	tx   *txclient.Client
	addr string
	// outPub and outPriv are the user's X25519 output key, derived from the keyring key as
	// `sovrad tx task submit` does, so `sovrad q task output` opens the same jobs.
	outPub, outPriv *[32]byte
}

func dialChain(cfg *config.Config) (*chainClient, error) {
	node, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	if err != nil {
		return nil, err
	}
	kr, err := txclient.OpenKeyring(cfg.KeyringBackend, cfg.KeyringDir, nil)
	if err != nil {
		node.Close()
		return nil, fmt.Errorf("open the %s keyring in %s: %w", cfg.KeyringBackend, cfg.KeyringDir, err)
	}
	key, err := txclient.KeyringKey(kr, cfg.Key)
	if err != nil {
		node.Close()
		return nil, err
	}
	priv, pub, err := outputKey(kr, cfg.Key)
	if err != nil {
		node.Close()
		return nil, err
	}
	var prices sdk.DecCoins
	if cfg.GasPrices != "" {
		if prices, err = sdk.ParseDecCoins(cfg.GasPrices); err != nil {
			node.Close()
			return nil, err
		}
	}
	tx := txclient.New(chain.Encoding(), cfg.ChainID, node.TxNode(), key, txclient.Options{
		GasAdjustment: cfg.GasAdjustment, GasPrices: prices, TxTimeout: txTimeout, PollInterval: cfg.PollInterval,
	})
	return &chainClient{node: node, tx: tx, addr: key.Bech32(), outPub: pub, outPriv: priv}, nil
}

func outputKey(kr keyring.Keyring, name string) (priv, pub *[32]byte, err error) {
	sig, _, err := kr.Sign(name, []byte(tasktypes.OutputKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, nil, fmt.Errorf("derive the output key of %q: %w", name, err)
	}
	return tasktypes.DeriveOutputKey(sig)
}

func (c *chainClient) close() error { return c.node.Close() }

func (c *chainClient) conn() *grpc.ClientConn { return c.node.Conn() }

// height is the latest height the node's application has committed (ABCI info): the
// block store's height (/status) rises a moment earlier, when queries still read the
// block before.
func (c *chainClient) height(ctx context.Context) (int64, error) {
	info, err := c.node.RPC().ABCIInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("abci info: %w", err)
	}
	return info.Response.LastBlockHeight, nil
}

func (c *chainClient) balance(ctx context.Context, denom string) (sdkmath.Int, error) {
	res, err := banktypes.NewQueryClient(c.conn()).Balance(ctx, &banktypes.QueryBalanceRequest{Address: c.addr, Denom: denom})
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("query the balance of %s: %w", c.addr, err)
	}
	if res.Balance == nil {
		return sdkmath.ZeroInt(), nil
	}
	return res.Balance.Amount, nil
}

// submitted is a job's submission on chain.
type submitted struct {
	JobID  uint64
	TxHash string
	Height int64
}

// submit broadcasts the job and waits for its block. Broadcasting holds the account's
// sequence only while CheckTx runs, so concurrent requests wait for their blocks together.
func (c *chainClient) submit(ctx context.Context, msg *tasktypes.MsgSubmitJob) (submitted, error) {
	hash, err := c.tx.Broadcast(ctx, msg)
	if err != nil {
		return submitted{}, err
	}
	res, err := txclient.Wait(ctx, c.node.TxNode(), hash, txTimeout, 100*time.Millisecond)
	if err != nil {
		return submitted{}, err
	}
	ids, err := tasktypes.SubmittedJobIDs(res.Events)
	if err != nil {
		return submitted{}, fmt.Errorf("transaction %s: %w", res.Hash, err)
	}
	if len(ids) != 1 {
		return submitted{}, fmt.Errorf("transaction %s holds %d job submissions", res.Hash, len(ids))
	}
	return submitted{JobID: ids[0], TxHash: res.Hash, Height: res.Height}, nil
}

// commitTx finds the hash of the transaction that committed the job's result; "" when the
// node does not index it. The node indexes a block's transactions just after the block is
// committed, so a result seen at once may take a moment to be found.
func (c *chainClient) commitTx(ctx context.Context, jobID uint64) string {
	q := fmt.Sprintf(`sovra.task.v1.EventJobCommitted.job_id='"%d"'`, jobID)
	for try := 0; try < 10; try++ {
		page, perPage := 1, 1
		res, err := c.node.RPC().TxSearch(ctx, q, false, &page, &perPage, "asc")
		if err == nil && len(res.Txs) > 0 {
			return strings.ToUpper(res.Txs[0].Hash.String())
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
	}
	return ""
}

// chainError maps a failure to reach or use the chain onto the OpenAI error shape.
func chainError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var check *txclient.CheckTxError
	if errors.As(err, &check) && check.Codespace == sdkerrors.RootCodespace && check.Code == sdkerrors.ErrInsufficientFunds.ABCICode() {
		return insufficient("insufficient_funds", "the account cannot pay for the job: %s", check.Log)
	}
	if errors.Is(err, txclient.ErrNoAccount) {
		return insufficient("insufficient_funds", "the gateway's key %v", err)
	}
	if errors.Is(err, txclient.ErrTxFailed) {
		return newError(502, "api_error", "transaction_failed", "", "the chain refused the job: %v", err)
	}
	if s, ok := status.FromError(errors.Unwrap(err)); ok && (s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded) {
		return unavailable("the chain is unreachable: %v", err)
	}
	if isConnError(err) {
		return unavailable("the chain is unreachable: %v", err)
	}
	return newError(502, "api_error", "chain_error", "", "%v", err)
}

func isConnError(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok && (s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded) {
			return true
		}
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "no such host", "i/o timeout", "connection reset", "EOF", "Unavailable"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
